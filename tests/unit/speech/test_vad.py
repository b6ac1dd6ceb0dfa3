"""The energy endpointer finds where speech starts and stops."""

from __future__ import annotations

import numpy as np

from engine.speech.vad import Endpointer, SpeechGate


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


def _gate_run(x: np.ndarray, chunk: int = 320) -> tuple[list[tuple[str, int]], list[int]]:
    """Feed ``x`` through an endpointer and a gate: the gate's steps (decode as a sample
    count) merged, the pre-roll still held last, and where (in samples seen) each phrase
    was closed."""
    vad, gate = Endpointer(end_ms=200), SpeechGate(preroll_ms=300, tail_ms=700)
    steps: list[tuple[str, int]] = []
    closes: list[int] = []
    for i in range(0, len(x), chunk):
        events = vad.feed(x[i : i + chunk])
        speech = vad.in_speech or any(kind == "start" for kind, _ in events)
        got, closed = gate.feed(x[i : i + chunk], speech)
        for kind, part in got:
            n = part if kind == "skip" else len(part)
            if steps and steps[-1][0] == kind:
                steps[-1] = (kind, steps[-1][1] + n)
            else:
                steps.append((kind, n))
        if closed:
            closes.append(i + chunk)
    return [*steps, ("held", gate.held)], closes


def test_the_gate_decodes_speech_with_its_preroll_and_tail_only():
    """3 s of a caller listening, 1 s of speech, 3 s of silence: about 0.3 + 1 + 0.9 s
    are decoded, the rest skipped, every sample accounted for, in order."""
    x = _signal([(3.0, 0), (1.0, 8000), (3.0, 0)])
    steps, closes = _gate_run(x)
    assert [kind for kind, _ in steps] == ["skip", "decode", "skip", "held"]
    assert sum(n for _, n in steps) == len(x)
    assert steps[-1][1] == 0.3 * 16000
    decoded = steps[1][1] / 16000
    assert 2.0 < decoded < 2.4  # 0.3 pre-roll + 1.0 speech + 0.2 end + 0.7 tail
    assert abs(steps[0][1] / 16000 - (3.0 - 0.3)) < 0.06  # the pre-roll holds the onset
    assert len(closes) == 1 and abs(closes[0] / 16000 - 4.9) < 0.06


def test_the_gate_reopens_for_a_second_answer_and_keeps_pauses_inside_a_phrase():
    x = _signal([(1.0, 0), (0.5, 8000), (0.15, 0), (0.5, 8000), (2.5, 0), (0.6, 8000), (2.0, 0)])
    steps, closes = _gate_run(x)
    assert [kind for kind, _ in steps] == ["skip", "decode", "skip", "decode", "skip", "held"]
    assert sum(n for _, n in steps) == len(x)
    assert len(closes) == 2


def test_the_gate_sees_a_short_phrase_inside_one_long_chunk():
    """Offline tools feed long chunks: a phrase that starts and ends inside one is heard."""
    x = _signal([(0.5, 0), (0.4, 8000), (0.6, 0)])
    steps, _ = _gate_run(x, chunk=len(x))
    assert ("decode", len(x)) in steps or any(k == "decode" and n > 0.4 * 16000 for k, n in steps)
