"""The energy endpointer finds where speech starts and stops."""

from __future__ import annotations

import numpy as np

from engine.speech.vad import Endpointer


def _signal(parts: list[tuple[float, float]], rate: int = 16000) -> np.ndarray:
    rng = np.random.default_rng(1)
    out = []
    for seconds, amp in parts:
        n = int(seconds * rate)
        noise = rng.normal(0, 30, n)  # a quiet line, about -60 dBFS
        out.append(noise + amp * np.sin(2 * np.pi * 200 * np.arange(n) / rate))
    return np.concatenate(out).astype(np.int16)


def test_start_and_end_of_speech_in_20ms_frames():
    x = _signal([(0.5, 0), (1.0, 8000), (0.6, 0)])
    vad = Endpointer(end_ms=200)
    events = []
    for i in range(0, len(x), 320):
        events += vad.feed(x[i : i + 320])
    assert [kind for kind, _ in events] == ["start", "end"]
    assert abs(events[0][1] - 0.5) < 0.05
    assert abs(events[1][1] - 1.5) < 0.03
    assert vad.position >= 1.7 - 0.01


def test_short_pauses_do_not_end_speech():
    x = _signal([(0.3, 0), (0.4, 8000), (0.1, 0), (0.4, 8000), (0.4, 0)])
    vad = Endpointer(end_ms=200)
    events = vad.feed(x)
    assert [kind for kind, _ in events] == ["start", "end"]


def test_silence_and_clicks_are_not_speech():
    x = _signal([(1.0, 0)])
    x[8000:8016] = 20000  # a 1 ms click
    assert Endpointer().feed(x) == []
