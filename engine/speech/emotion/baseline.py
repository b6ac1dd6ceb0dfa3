"""The caller's own baseline in this call: z-scores of prosody against how they began.

The first ``warmup`` utterances set the baseline (each scored against those before it;
the very first scores 0). After that the baseline follows the caller slowly, and only
with utterances that were not agitated, so that a caller who stays angry stays scored
as angry instead of becoming the new normal. Spreads have floors: two calm sentences
say little about variance, and a tiny spread would turn any change into a huge z.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from engine.speech.emotion.acoustic import Prosody

FEATURES = ("loudness_db", "pitch_st", "pitch_var_st", "rate")
FLOORS = {"loudness_db": 2.5, "pitch_st": 1.5, "pitch_var_st": 0.8, "rate": 0.8}


@dataclass
class _Stat:
    mean: float = 0.0
    m2: float = 0.0
    n: int = 0

    def add(self, value: float) -> None:
        self.n += 1
        delta = value - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (value - self.mean)

    def follow(self, value: float, alpha: float) -> None:
        delta = value - self.mean
        self.mean += alpha * delta
        self.m2 = (1 - alpha) * (self.m2 + alpha * delta * delta * self.n)

    def std(self, floor: float) -> float:
        return max(floor, math.sqrt(self.m2 / self.n) if self.n > 1 else 0.0)


@dataclass
class Baseline:
    warmup: int = 2
    alpha: float = 0.15
    min_active_s: float = 0.3  # shorter utterances neither score nor teach
    stats: dict[str, _Stat] = field(default_factory=lambda: {f: _Stat() for f in FEATURES})
    utterances: int = 0

    def zscores(self, p: Prosody) -> dict[str, float]:
        z: dict[str, float] = {}
        for name in FEATURES:
            value, stat = getattr(p, name), self.stats[name]
            if stat.n == 0 or math.isnan(value) or p.active_s < self.min_active_s:
                z[name] = 0.0
            else:
                z[name] = max(-4.0, min(4.0, (value - stat.mean) / stat.std(FLOORS[name])))
        return z

    @property
    def warming_up(self) -> bool:
        return self.utterances < self.warmup

    def learn(self, p: Prosody, agitated: bool) -> None:
        if p.active_s < self.min_active_s:
            return
        warming = self.warming_up
        if not warming and agitated:
            return
        self.utterances += 1
        for name in FEATURES:
            value = getattr(p, name)
            if math.isnan(value):
                continue
            stat = self.stats[name]
            if warming or stat.n == 0:
                stat.add(value)
            else:
                stat.follow(value, self.alpha)
