"""An energy endpointer: where speech starts and ends in a 16 kHz stream.

Pure and incremental: feed int16 samples, get ("start", t) / ("end", t) events with
``t`` in seconds of stream position. The noise floor adapts (falls at once, rises
slowly), speech is energy ``margin_db`` above it, and speech ends after ``end_ms`` of
non-speech. Used to finalise a grammar result as soon as the caller stops talking,
well before the recogniser's own 0.5 s trailing-silence rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Event = tuple[str, float]


class Endpointer:
    def __init__(
        self,
        rate: int = 16000,
        frame_ms: int = 10,
        start_ms: int = 40,
        end_ms: int = 200,
        margin_db: float = 12.0,
        min_db: float = -50.0,
    ) -> None:
        self.rate = rate
        self.frame = rate * frame_ms // 1000
        self.start_frames = max(1, start_ms // frame_ms)
        self.end_frames = max(1, end_ms // frame_ms)
        self.margin_db, self.min_db = margin_db, min_db
        self.noise_db = -70.0
        self.in_speech = False
        self.speech_start: float | None = None
        self.last_speech_end = 0.0
        self._frames = 0
        self._run = 0  # consecutive frames against the current state
        self._carry = np.zeros(0, dtype=np.float64)

    @property
    def position(self) -> float:
        return self._frames * self.frame / self.rate

    def feed(self, samples: np.ndarray) -> list[Event]:
        x = np.concatenate([self._carry, samples.astype(np.float64)])
        whole = len(x) // self.frame * self.frame
        self._carry = x[whole:]
        if not whole:
            return []
        frames = x[:whole].reshape(-1, self.frame)
        energy = 10 * np.log10(np.mean(frames * frames, axis=1) / 32768.0**2 + 1e-12)
        return [e for level in energy if (e := self._step(float(level))) is not None]

    def _step(self, level: float) -> Event | None:
        self._frames += 1
        if level < self.noise_db:
            self.noise_db = max(level, -90.0)
        else:
            self.noise_db += 0.002 * (level - self.noise_db)
        speech = level > max(self.noise_db + self.margin_db, self.min_db)
        if speech:
            self.last_speech_end = self.position
        self._run = self._run + 1 if speech != self.in_speech else 0
        if not self.in_speech and self._run >= self.start_frames:
            self.in_speech, self._run = True, 0
            self.speech_start = self.position - self.start_frames * self.frame / self.rate
            return ("start", self.speech_start)
        if self.in_speech and self._run >= self.end_frames:
            self.in_speech, self._run = False, 0
            return ("end", self.last_speech_end)
        return None


class SpeechGate:
    """Which audio a menu's recogniser has to decode: speech, ``preroll_ms`` before it
    starts and ``tail_ms`` after it ends (the recogniser's own endpointing needs trailing
    silence to close a phrase). Everything else (the prompt's silence before the caller
    speaks, pauses between answers) is skipped: a menu leg then costs CPU for what is
    said, not for how long the caller listens.

    Pure and incremental. ``feed`` takes the samples of one chunk and whether the
    endpointer is in speech after it, and gives back, in order, ``("skip", n)`` (n samples
    not decoded) and ``("decode", samples)`` steps; ``closed`` tells when a phrase's tail
    has just been passed (the recogniser flushes what it heard)."""

    def __init__(self, rate: int = 16000, preroll_ms: int = 300, tail_ms: int = 700) -> None:
        self.preroll = rate * preroll_ms // 1000
        self.tail = rate * tail_ms // 1000
        self.open = False
        self._held: list[np.ndarray] = []  # the pre-roll, while closed
        self._held_n = 0
        self._tail_left = 0

    @property
    def held(self) -> int:
        """Samples held as the pre-roll: seen, neither decoded nor skipped yet."""
        return self._held_n

    def feed(self, samples: np.ndarray, speech: bool) -> tuple[list[tuple[str, Any]], bool]:
        """``speech``: the endpointer is in speech after this chunk, or speech started in
        it (a long chunk can hold a whole short phrase)."""
        steps: list[tuple[str, Any]] = []
        if not self.open:
            self._held.append(samples)
            self._held_n += len(samples)
            if speech:  # speech: the pre-roll (which holds its start) and this chunk
                self.open, self._tail_left = True, self.tail
                held = np.concatenate(self._held)
                self._held, self._held_n = [], 0
                over = max(0, len(held) - self.preroll - len(samples))
                if over:
                    steps.append(("skip", over))
                steps.append(("decode", held[over:]))
                return steps, False
            over = self._held_n - self.preroll
            if over > 0:  # older than the pre-roll: never decoded
                held = np.concatenate(self._held)
                self._held, self._held_n = [held[over:]], self.preroll
                steps.append(("skip", over))
            return steps, False
        steps.append(("decode", samples))
        if speech:
            self._tail_left = self.tail
            return steps, False
        self._tail_left -= len(samples)
        if self._tail_left > 0:
            return steps, False
        self.open = False
        return steps, True
