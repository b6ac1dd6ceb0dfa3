"""How many lines to dial now: progressive, fixed ratio and predictive pacing.

Every pacer is a pure object: ``dials(snapshot, allowance) -> int``. The snapshot
is what the engine sees at ``now`` (agents, lines in flight); the allowance is what
the abandon guard (``guard.py``) permits. Lines dialled for a reserved agent, and
that agent, stay out of the snapshot: they are never at risk of an abandon.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from engine.dialer.core import forecast
from engine.dialer.core.actions import MIN_RING_SECONDS
from engine.dialer.core.estimates import DialEstimates, Outcome, TalkEstimates

Mode = Literal["predictive", "progressive", "paused"]
CANCEL_FLOOR = 0.005  # a ringing line this unlikely to be abandoned is never hung up


@dataclass(frozen=True)
class Snapshot:
    now: float
    free_agents: int  # logged in, idle, not reserved
    talking: Sequence[float] = ()  # seconds each talking agent has talked
    wrapping: Sequence[float] = ()  # seconds of wrap-up each agent has left
    ringing: Sequence[float] = ()  # age of each line still ringing (s since dial)
    detecting: Sequence[float] = ()  # s since answer of each line AMD is classifying
    waiting: int = 0  # live answers waiting for an agent (< 2 s)

    @property
    def lines(self) -> int:
        return len(self.ringing) + len(self.detecting)


@dataclass(frozen=True)
class Allowance:
    """What the guard lets the pacer risk right now."""

    mode: Mode = "predictive"
    risk: float = 0.05  # max P(abandoned | live) of the marginal dial
    max_expected_abandons: float = math.inf  # for the whole pipeline, under stress
    stress: float = 1.0  # lines this many times likelier to connect than estimated
    reason: str = ""


class Pacer(Protocol):
    name: str

    def dials(self, snap: Snapshot, allowance: Allowance) -> int: ...


def progressive_dials(snap: Snapshot) -> int:
    """One line per free agent: dial for the free agents that have no line yet."""
    return max(0, snap.free_agents - snap.waiting - snap.lines)


@dataclass
class Progressive:
    name: str = "progressive"

    def dials(self, snap: Snapshot, allowance: Allowance) -> int:
        return 0 if allowance.mode == "paused" else progressive_dials(snap)


@dataclass
class FixedRatio:
    """``ratio`` lines per free agent, whatever the answer rate does (the naive baseline)."""

    ratio: float = 2.0
    name: str = "ratio"

    def dials(self, snap: Snapshot, allowance: Allowance) -> int:
        if allowance.mode == "paused":
            return 0
        if allowance.mode == "progressive":
            return progressive_dials(snap)
        free = max(0, snap.free_agents - snap.waiting)
        return max(0, math.ceil(self.ratio * free - 1e-9) - snap.lines)


@dataclass
class Predictive:
    """Dial while the next line's chance of being abandoned stays within the allowance.

    Feed it outcomes with ``record_dial`` / ``record_talk`` (they update the estimates).
    ``max_lines`` caps the lines in flight (trunks); ``wrapup`` is the engine's fixed
    wrap-up after each call; ``grace`` the seconds a live answer may wait (2 s).
    """

    dial_est: DialEstimates = field(default_factory=DialEstimates)
    talk_est: TalkEstimates = field(default_factory=TalkEstimates)
    wrapup: float = 0.0
    grace: float = 2.0
    max_lines: int = 1000
    name: str = "predictive"
    warm_dials: int = 100  # progressive until this many dials have ended, and
    warm_calls: int = 20  # agents talking count as busy until this many calls
    cancel_after: float | None = MIN_RING_SECONDS  # hang up lines that rang this long
    cancel_factor: float = 4.0  # ... whose risk is over this x the allowed risk
    limited_by: str = field(default="", init=False, compare=False)  # what held the last
    # decision back: risk, pipeline, floor, lines or warming up

    def record_dial(
        self, now: float, ring_seconds: float, outcome: Outcome, amd_seconds: float | None = None
    ) -> None:
        self.dial_est.record_dial(now, ring_seconds, outcome, amd_seconds)

    def record_talk(self, now: float, seconds: float) -> None:
        self.talk_est.record_talk(now, seconds)

    def __post_init__(self) -> None:
        if self.cancel_after is not None and self.cancel_after < MIN_RING_SECONDS:
            raise ValueError(
                f"cancel_after must be at least {MIN_RING_SECONDS:g} s of ringing "
                f"(or None: never), got {self.cancel_after:g}"
            )

    def record_cancel(self, now: float, ring_seconds: float) -> None:
        """A line this pacer had hung up while it rang (censored: it had not ended)."""
        self.dial_est.record_cancel(now, ring_seconds)

    def cancels(self, snap: Snapshot, allowance: Allowance) -> list[int]:
        """Lines to hang up now, as indices into ``snap.ringing``: those that have rung at
        least ``cancel_after`` seconds (never less than the 15 s compliance asks for) and
        whose own chance of being abandoned if a person answers is over ``cancel_factor``
        x the allowed risk (``CANCEL_FLOOR`` when the guard allows none). Most lines still
        ringing at 15 s will not be answered; cutting the few that would, at the moments
        they would find no agent, removes abandons that no later decision could."""
        if self.cancel_after is None or self.dial_est.seen < self.warm_dials:
            return []
        old = [i for i, age in enumerate(snap.ringing) if age >= self.cancel_after]
        if not old:
            return []
        allowed = allowance.risk * self.cancel_factor if allowance.mode == "predictive" else 0.0
        risks = forecast.line_risk(self.model(snap), np.asarray([snap.ringing[i] for i in old]))
        return [
            i for i, r in zip(old, risks.tolist(), strict=True) if r > max(allowed, CANCEL_FLOOR)
        ]

    def stress(self, allowance: Allowance) -> float:
        """The guard's stress factor, higher while the dial estimates have little data:
        ``stress * (1 + warm_dials / dials seen)``: 2x at ``warm_dials``, 1.1x at ten times."""
        return allowance.stress * (1.0 + self.warm_dials / max(self.dial_est.seen, 1))

    def model(self, snap: Snapshot) -> forecast.Pipeline:
        def arr(xs: Sequence[float]) -> np.ndarray:
            return np.asarray(xs, dtype=float)

        # before ``warm_calls`` calls have ended, no credit for agents about to be free
        talking = arr(snap.talking) if self.talk_est.seen >= self.warm_calls else arr(())
        return forecast.pipeline(
            snap.now,
            snap.free_agents,
            talking,
            arr(snap.wrapping),
            arr(snap.ringing),
            arr(snap.detecting),
            snap.waiting,
            self.dial_est,
            self.talk_est,
            self.wrapup,
            self.grace,
        )

    def dials(self, snap: Snapshot, allowance: Allowance) -> int:
        floor = min(progressive_dials(snap), max(0, self.max_lines - snap.lines))
        if allowance.mode != "predictive":
            return 0 if allowance.mode == "paused" else floor
        if self.dial_est.seen < self.warm_dials:
            self.limited_by = "warming up"
            return floor
        model = self.model(snap)
        agents = snap.free_agents + len(snap.talking) + len(snap.wrapping)
        k_max = min(
            self.max_lines - snap.lines,  # 3 lines per agent per live rate
            math.ceil(3 * agents / max(float(model.connect[-1]), 0.01)),
        )
        n = forecast.dials_within(model, allowance.risk, k_max)
        self.limited_by = "lines" if n >= k_max else "risk"
        if n and math.isfinite(allowance.max_expected_abandons):
            exposure = forecast.expected_abandons(model, np.arange(n + 1), self.stress(allowance))
            capped = max(int(np.count_nonzero(exposure <= allowance.max_expected_abandons)) - 1, 0)
            if capped < n:
                n, self.limited_by = capped, "pipeline"
        if floor > n:
            self.limited_by = "floor"
        return max(n, floor)
