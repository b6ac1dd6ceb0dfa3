"""The listening budget's size: how many legs the recognizers hear in real time.

    pcm = sample_audio()                       # a few seconds of 16 kHz speech
    audio_s, cpu_s = measure(model, pcm, "zh") # decoded free-form on this thread
    size = budget(audio_s, cpu_s, workers=2)   # legs at once, with a safety margin

``measure`` feeds 20 ms frames to one free-form recognizer (the costly mode: full
vocabulary, partials) and counts the thread's CPU time. One worker keeps up with
``(1 - margin) / rtf`` such legs, where ``rtf`` is CPU seconds per second of audio; the
budget is that times the workers (at least 1). The audio is the bundled IVR prompts
(``dialplan/sounds``, real speech) repeated, else modulated noise.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from engine.speech import audio
from engine.speech.recognizer import Recognizer

SECONDS = 4.0  # audio decoded at start
MARGIN = 0.3  # share of a worker kept free (emotion, menus, bursts)
SOUNDS = Path(__file__).resolve().parents[2] / "dialplan" / "sounds"
_FRAME = 640  # bytes: 20 ms of 16 kHz int16


def budget(audio_seconds: float, cpu_seconds: float, workers: int, margin: float = MARGIN) -> int:
    """Legs ``workers`` hear in real time, keeping ``margin`` of each free; at least 1."""
    if audio_seconds <= 0:
        return 1
    rtf = max(cpu_seconds, 1e-6) / audio_seconds
    per_worker = math.floor((1.0 - margin) / rtf + 1e-9)  # (0.7 / 0.1 is 6.999...)
    return max(1, per_worker * max(1, workers))


def sample_audio(seconds: float = SECONDS, sounds: Path = SOUNDS, lang: str = "zh") -> bytes:
    """``seconds`` of 16 kHz int16 speech: the bundled prompts of ``lang`` (any language
    without), repeated; modulated noise when none is found."""
    files = sorted(sounds.glob(f"{lang}-*.wav")) or sorted(sounds.glob("*.wav"))
    parts = [audio.load_16k(f) for f in files]
    want = int(seconds * audio.RATE)
    if parts and sum(len(p) for p in parts) > 0:
        speech = np.concatenate(parts)
        samples = np.resize(speech, want)
    else:
        t = np.arange(want) / audio.RATE
        noise = np.random.default_rng(13).standard_normal(want) * 0.1
        samples = noise * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t))  # syllable-like bursts
    return audio.to_pcm16(samples)


def measure(model: Any, pcm: bytes, lang: str) -> tuple[float, float]:
    """(seconds of audio, CPU seconds) to decode ``pcm`` free-form on this thread."""
    rec = Recognizer(model, "calibration", lang=lang)
    started = time.thread_time()
    for at in range(0, len(pcm), _FRAME):
        rec.accept(pcm[at : at + _FRAME])
    rec.finish()
    return len(pcm) / 2 / audio.RATE, time.thread_time() - started
