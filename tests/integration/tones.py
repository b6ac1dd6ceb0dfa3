"""Tones for two-way audio checks: write one as a WAV, find one in received audio.

``level(samples, rate, hz)`` is the Goertzel power at ``hz`` as a share of the signal's
total power (1.0: a pure tone at ``hz``; near 0: absent), so a check does not depend on
loudness or codec gain."""

from __future__ import annotations

import math
import wave
from collections.abc import Sequence
from pathlib import Path


def write_tone(path: Path, hz: float, seconds: float = 4.0, rate: int = 48000) -> Path:
    """A mono 16-bit WAV of a sine at ``hz`` (half scale), a whole number of cycles long
    so that a player looping it makes no click."""
    n = round(seconds * hz) * rate // round(hz)
    frames = bytearray()
    for i in range(n):
        v = int(16383 * math.sin(2 * math.pi * hz * i / rate))
        frames += v.to_bytes(2, "little", signed=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return path


def read_wav(path: Path) -> tuple[list[float], int]:
    """Samples of a mono 16-bit WAV as floats in [-1, 1], and its rate."""
    with wave.open(str(path), "rb") as w:
        rate, data = w.getframerate(), w.readframes(w.getnframes())
    return [
        int.from_bytes(data[i : i + 2], "little", signed=True) / 32768
        for i in range(0, len(data) - 1, 2)
    ], rate


def level(samples: Sequence[float], rate: int, hz: float) -> float:
    """Goertzel power at ``hz`` over the block, as a share of the block's power."""
    n = len(samples)
    if n == 0:
        return 0.0
    k = round(n * hz / rate)
    coeff = 2 * math.cos(2 * math.pi * k / n)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    total = sum(x * x for x in samples)
    return 0.0 if total <= 1e-12 else (2 * power / n) / total


def windows_with(
    samples: Sequence[float], rate: int, hz: float, window: float = 0.2, share: float = 0.5
) -> tuple[int, int]:
    """(windows where ``hz`` carries at least ``share`` of the power, windows in all) over
    consecutive ``window``-second blocks."""
    size = int(rate * window)
    blocks = [samples[i : i + size] for i in range(0, len(samples) - size + 1, size)]
    return sum(1 for b in blocks if level(b, rate, hz) >= share), len(blocks)
