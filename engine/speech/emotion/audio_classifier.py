"""Optional: a transformers audio-classification model from a local folder (extra ``emotion``).

Nothing is downloaded: the folder (``emotion_model_dir``) must hold the model and its
feature extractor as written by ``save_pretrained``; the hub is switched off before
``transformers`` is imported. The score is the probability mass of the labels that
mean a negative, aroused state (angry, frustrated, disgust...), so any label set works
as long as its names say what they are.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np

NEGATIVE_LABELS = re.compile(
    r"ang|frust|annoy|disgust|contempt|hostil|neg|mad|rage|fear|sad", re.IGNORECASE
)


class EmotionModelError(RuntimeError):
    pass


class AudioEmotionModel:
    """Loads lazily on first use; one inference at a time (torch runs it on one thread)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self._pipeline: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._pipeline is None:
                self._pipeline = self._build()

    def _build(self) -> Any:
        if not (self.path / "config.json").is_file():
            raise EmotionModelError(
                f"emotion_model_dir {self.path} holds no config.json "
                f"(a folder written by save_pretrained is expected)"
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import torch
            from transformers import pipeline
        except ImportError:
            raise EmotionModelError(
                "emotion_model_dir is set but transformers/torch are "
                "missing: install the `emotion` extra"
            ) from None
        torch.set_num_threads(1)  # recognition workers already use every core
        try:
            return pipeline("audio-classification", model=str(self.path), device="cpu")
        except Exception as exc:  # transformers raises many kinds for a bad folder
            raise EmotionModelError(f"cannot load emotion model from {self.path}: {exc}") from None

    def labels(self, samples: np.ndarray, rate: int = 16000) -> dict[str, float]:
        self.load()
        with self._lock:
            out = self._pipeline(
                {"raw": samples.astype(np.float32), "sampling_rate": rate}, top_k=None
            )
        return {item["label"]: float(item["score"]) for item in out}

    def negative(self, samples: np.ndarray, rate: int = 16000) -> float:
        """Probability that the utterance sounds negative and aroused, in [0, 1]."""
        if len(samples) < rate // 10:
            return 0.0
        scores = self.labels(samples, rate)
        return min(1.0, sum(p for label, p in scores.items() if NEGATIVE_LABELS.search(label)))
