"""Simulated contacts for the pacing simulator, drawn up front from a seed.

Contact ``i`` is the same for every algorithm: the simulator hands out contacts in
order, so whichever algorithm makes its 1,000th dial reaches the same person, who
answers (or not) after the same ring time and talks for the same time. Contacts are
drawn in chunks seeded by ``(seed, chunk)``, so how many an algorithm uses does not
change any of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Outcome = Literal["live", "machine", "busy", "no-answer"]
CHUNK = 2048


@dataclass(frozen=True)
class Traffic:
    answer_rate: float = 0.30  # dials answered, by a person or a machine
    handle_time: float = 120.0  # mean talk + wrap-up of a connected call
    wrapup: float = 5.0  # fixed, after every call
    machine_share: float = 0.25  # answers that are answering machines
    busy_share: float = 0.10  # unanswered dials that are busy
    ring_timeout: float = 25.0  # no answer after this (compliance: >= 15 s)
    live_ring: tuple[float, float] = (10.0, 0.45)  # lognormal median, sigma (s)
    machine_ring: tuple[float, float] = (16.0, 0.25)
    amd_live: tuple[float, float] = (1.0, 2.5)  # uniform: greeting + AMD (s)
    amd_machine: tuple[float, float] = (2.5, 4.5)
    talk_cv: float = 0.8  # talk time: lognormal with this CV

    @property
    def talk_mean(self) -> float:
        return self.handle_time - self.wrapup


@dataclass(frozen=True, slots=True)
class Contact:
    index: int
    answer_draw: float  # answered iff below the answer rate at dial time
    machine: bool
    busy: bool
    ring_live: float
    ring_machine: float
    ring_busy: float
    amd_live: float
    amd_machine: float
    talk: float

    def outcome(self, answer_rate: float, ring_timeout: float) -> tuple[Outcome, float, float]:
        """(outcome, seconds of ringing, seconds of AMD after the answer)."""
        if self.answer_draw < answer_rate:
            if self.machine:
                return "machine", self.ring_machine, self.amd_machine
            return "live", self.ring_live, self.amd_live
        if self.busy:
            return "busy", self.ring_busy, 0.0
        return "no-answer", ring_timeout, 0.0


class ContactStream:
    def __init__(self, traffic: Traffic, seed: int) -> None:
        self.traffic, self.seed = traffic, seed
        self._chunks: dict[int, list[Contact]] = {}

    def __getitem__(self, i: int) -> Contact:
        chunk = self._chunks.get(i // CHUNK)
        if chunk is None:
            chunk = self._chunks[i // CHUNK] = self._draw(i // CHUNK)
        return chunk[i % CHUNK]

    def _draw(self, k: int) -> list[Contact]:
        t, rng, n = self.traffic, np.random.default_rng([self.seed, k]), CHUNK
        top = t.ring_timeout - 0.5

        def lognormal(median: float, sigma: float, low: float) -> np.ndarray:
            return np.clip(median * np.exp(sigma * rng.standard_normal(n)), low, top)

        sigma = np.sqrt(np.log1p(t.talk_cv**2))
        talk = t.talk_mean * np.exp(sigma * rng.standard_normal(n) - sigma**2 / 2)
        cols = (
            rng.random(n),
            rng.random(n) < t.machine_share,
            rng.random(n) < t.busy_share,
            lognormal(*t.live_ring, 2.0),
            lognormal(*t.machine_ring, 4.0),
            rng.uniform(2.0, 5.0, n),
            rng.uniform(*t.amd_live, n),
            rng.uniform(*t.amd_machine, n),
            np.maximum(talk, 5.0),
        )
        return [
            Contact(k * CHUNK + j, *row)
            for j, row in enumerate(zip(*(c.tolist() for c in cols), strict=True))
        ]
