"""Emotion per utterance and per call, and the sharp rise the call path acts on. Pure.

Per utterance:
- arousal from prosody: a weighted sum of the caller's z-scores against their calm self
  (``baseline``): pitch level 0.6, loudness 0.25, pitch spread 0.15; speaking rate is
  reported but not weighted (its direction is not consistent across acted corpora). The
  weights follow what each feature tells at the telephone band: on EmoDB at 8 kHz pitch
  level alone separates high from low arousal with AUC 0.97, pitch spread 0.55 (and
  loudness 0.57, but that copy is peak-normalised, and loudness carried 0.90 on the
  issue's corpus). The sum goes through a logistic curve centred at 1.5 with slope 2
  (0 -> 0.05, 1.5 -> 0.50, 2.6 -> 0.90), the centre calibrated on EmoDB speakers 03-11
  at 8 kHz to use the room of the 5% false-alarm target with a margin (calm/neutral
  flagged 2.3%, angry 77.7%, mean of 5 clip orders; held-out speakers 12-16: 0.0% and 82.4%;
  benchmarks/emotion.py);
- negativity of the words (lexicon and complaint words, from confidently recognised
  words only) and, when configured, the audio model's negative probability;
- combined like independent evidence: ``1 - (1 - a)(1 - 0.8 n)(1 - 0.6 m)``.
Labels: calm < 0.25 <= neutral < 0.5 <= agitated < 0.75 <= angry. The call's rolling
score is an exponential average (weight 0.4 on the newest). A sharp rise: an utterance
at least ``rise`` above the rolling score before it and at least agitated, at most one
per ``cooldown`` seconds; it comes back as an ``EmotionEvent``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.speech.emotion.analyze import UtteranceAnalysis
from engine.speech.emotion.baseline import Baseline

Label = Literal["calm", "neutral", "agitated", "angry"]
WEIGHTS = {"loudness_db": 0.25, "pitch_st": 0.6, "pitch_var_st": 0.15, "rate": 0.0}
CENTRE, SLOPE = 1.5, 2.0
_REASONS = {
    "loudness_db": "louder",
    "pitch_st": "higher pitch",
    "pitch_var_st": "more pitch movement",
    "rate": "faster speech",
}


def label_of(score: float) -> Label:
    return (
        "calm"
        if score < 0.25
        else "neutral"
        if score < 0.5
        else "agitated"
        if score < 0.75
        else "angry"
    )


def arousal(z: dict[str, float]) -> float:
    combined = sum(WEIGHTS[name] * value for name, value in z.items())
    return 1.0 / (1.0 + math.exp(-SLOPE * (combined - CENTRE)))


def combine(arousal_: float, negativity: float, model: float | None) -> float:
    calm = (1 - arousal_) * (1 - 0.8 * negativity)
    if model is not None:
        calm *= 1 - 0.6 * model
    return 1.0 - calm


@dataclass(frozen=True)
class EmotionScore:
    score: float
    label: Label
    rolling: float
    arousal: float
    negativity: float
    model: float | None
    z: dict[str, float]
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 3),
            "label": self.label,
            "rolling": round(self.rolling, 3),
            "arousal": round(self.arousal, 3),
            "negativity": round(self.negativity, 3),
            "model": self.model,
            "z": {k: round(v, 2) for k, v in self.z.items()},
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class EmotionEvent:
    """A sharp rise: the call path sends an agent hint, a supervisor alert, a profile record."""

    leg_id: str
    at: float
    score: float
    previous: float
    label: Label
    reasons: tuple[str, ...]
    kind: str = "sharp-rise"


@dataclass
class CallEmotion:
    """One caller leg's emotion over a call: baseline, rolling score, rise detection."""

    leg_id: str
    rise: float = 0.3
    cooldown: float = 20.0
    alpha: float = 0.4
    baseline: Baseline = field(default_factory=Baseline)
    rolling: float | None = None
    history: list[EmotionScore] = field(default_factory=list)
    _last_event: float = -math.inf

    def observe(
        self,
        analysis: UtteranceAnalysis,
        at: float,
    ) -> tuple[EmotionScore, EmotionEvent | None]:
        z = self.baseline.zscores(analysis.prosody)
        a = arousal(z)
        negativity = analysis.text.negativity if analysis.text else 0.0
        score = combine(a, negativity, analysis.model_negative)
        reasons = tuple(f"{_REASONS[k]} ({v:+.1f} sd)" for k, v in z.items() if v >= 1.0)
        if analysis.text and analysis.text.complaints:
            reasons += tuple(f"complaint word: {w}" for w in analysis.text.complaints)
        if analysis.text and analysis.text.lexical >= 0.3:
            reasons += ("negative words",)
        if analysis.model_negative is not None and analysis.model_negative >= 0.5:
            reasons += (f"audio model: negative ({analysis.model_negative:.2f})",)
        before = score if self.rolling is None else self.rolling
        self.rolling = before + self.alpha * (score - before)
        result = EmotionScore(
            score, label_of(score), self.rolling, a, negativity, analysis.model_negative, z, reasons
        )
        self.history.append(result)
        self.baseline.learn(analysis.prosody)
        event = None
        if score - before >= self.rise and score >= 0.5 and at - self._last_event >= self.cooldown:
            self._last_event = at
            event = EmotionEvent(self.leg_id, at, score, before, result.label, reasons)
        return result, event
