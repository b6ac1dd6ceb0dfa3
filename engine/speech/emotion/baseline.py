"""The caller's own baseline in this call: z-scores of prosody against their calm self.

Arousal raises loudness, pitch and pitch movement, so a caller's calm self is the lower
part of what they have said so far: the baseline of each feature is a low quantile
(``QUANTILE``) of the caller's utterances in this call (the last ``WINDOW`` of them).
The scale is fixed per feature (``SPREAD``): how much a calm speaker varies from one
utterance to the next (EmoDB's low-arousal clips at 8 kHz). A caller's own spread would
mix their calm and angry utterances and shrink the very difference to be found (on EmoDB
speakers 03-11, blending it in lowered the angry-flag rate from 80% to 75% at about the
same false alarms, 4.7-4.9%).

Every utterance teaches, an angry one too: the quantile does not depend on the order in
which the utterances came. A caller who begins angry has a high baseline only until
their first calmer utterances, which pull it down at once; a caller who stays angry
stays scored as angry as long as a quarter of their recent utterances were calmer.
(Before, a running mean of the first two utterances, then of the non-agitated ones, set
the baseline, and a speaker's angry-flag rate ranged from 7.5% to 85.1% with the order
of their clips, issue 16.) The very first utterance scores 0: nothing is known yet.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from engine.speech.emotion.acoustic import Prosody

FEATURES = ("loudness_db", "pitch_st", "pitch_var_st", "rate")
# within-speaker standard deviation of calm speech (EmoDB low-arousal clips at 8 kHz:
# loudness 1.4-4.1 dB, pitch level 1.5-3.9 st, pitch spread 1.1-3.0 st, rate 0.6-1.2/s)
SPREAD = {"loudness_db": 2.5, "pitch_st": 2.3, "pitch_var_st": 1.8, "rate": 0.8}
# chosen on EmoDB speakers 03-11 at 8 kHz with the weights and centre of ``score``
QUANTILE = 0.25
WINDOW = 60  # utterances remembered per feature


@dataclass
class _Feature:
    values: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))

    def z(self, value: float, spread: float) -> float:
        if not self.values:
            return 0.0
        low = float(np.quantile(np.fromiter(self.values, float), QUANTILE))
        return (value - low) / spread


@dataclass
class Baseline:
    min_active_s: float = 0.3  # shorter utterances neither score nor teach
    features: dict[str, _Feature] = field(default_factory=lambda: {f: _Feature() for f in FEATURES})
    utterances: int = 0

    def zscores(self, p: Prosody) -> dict[str, float]:
        z: dict[str, float] = {}
        for name in FEATURES:
            value = getattr(p, name)
            if math.isnan(value) or p.active_s < self.min_active_s:
                z[name] = 0.0
            else:
                raw = self.features[name].z(value, SPREAD[name])
                z[name] = max(-4.0, min(4.0, raw))
        return z

    def learn(self, p: Prosody) -> None:
        if p.active_s < self.min_active_s:
            return
        self.utterances += 1
        for name in FEATURES:
            value = getattr(p, name)
            if not math.isnan(value):
                self.features[name].values.append(float(value))
