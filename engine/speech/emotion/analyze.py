"""Worker-side: the raw emotion evidence of one utterance (CPU work, off the event loop)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.speech.emotion.acoustic import Prosody, prosody
from engine.speech.emotion.audio_classifier import AudioEmotionModel
from engine.speech.emotion.lexicon import TextNegativity, TextScorer


@dataclass(frozen=True)
class UtteranceAnalysis:
    prosody: Prosody
    text: TextNegativity | None
    model_negative: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "prosody": self.prosody.as_dict(),
            "text": self.text.as_dict() if self.text else None,
            "model_negative": self.model_negative,
        }


class Analyzer:
    """Called by a recogniser with an utterance's 16 kHz samples and its transcript."""

    def __init__(
        self, text: TextScorer | None = None, model: AudioEmotionModel | None = None
    ) -> None:
        self.text, self.model = text, model

    def __call__(self, samples: np.ndarray, transcript: str, lang: str) -> UtteranceAnalysis:
        return UtteranceAnalysis(
            prosody=prosody(samples),
            text=self.text.score(transcript, lang) if self.text and transcript else None,
            model_negative=self.model.negative(samples) if self.model else None,
        )
