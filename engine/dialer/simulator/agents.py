"""The simulated team: who is idle, talking or wrapping up, and the time it adds up to.

Log-outs are graceful: the pacer stops counting a leaving agent at once, but once free
the agent stays on standby for ``standby`` seconds (the lines dialled while it still
counted can connect until then) and takes one live answer that no one else is free
for, instead of letting it be abandoned.

What the team did is added up in ``Tally``s: one from the start of the run (cold
start) and, with a warm-up, one from the end of the warm-up (steady state). Idle
agent-seconds are filed under a *cause* the simulator names (what limited the pacer).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class Tally:
    """Talk, connects and idle time from ``start`` to the end of the run."""

    start: float
    talk: float = 0.0  # talk seconds (the part after ``start``)
    wrap: float = 0.0  # wrap-up agent-seconds
    idle_before: float = 0.0  # idle seconds before each connect, summed
    connects: int = 0
    idle: dict[str, float] = field(default_factory=dict)  # idle agent-seconds by cause


class Team:
    def __init__(self, size: int, end: float, standby: float = 30.0, warmup: float = 0.0) -> None:
        self.end, self.standby_for = end, standby
        self.standby: dict[int, float] = {}  # leaving agent -> standby end
        self.idle: deque[int] = deque(range(size))
        self.idle_since = [0.0] * size
        self.talking: dict[int, float] = {}  # agent -> call start
        self.wrapping: dict[int, float] = {}  # agent -> wrap-up end
        self.leaving: set[int] = set()  # log out after the current call
        self.standby_done: set[int] = set()  # went through standby already
        self.logged_out_at: dict[int, float] = {}
        self.size = size
        self.tallies = [Tally(0.0)] + ([Tally(warmup)] if 0 < warmup < end else [])
        self.clock = 0.0

    @property
    def idle_count(self) -> int:
        return len(self.idle)

    def account(self, now: float, cause: str) -> None:
        """File the idle and wrap-up agent-seconds since the last call under ``cause``."""
        idle, wrap = len(self.idle), len(self.wrapping)
        for t in self.tallies:
            span = max(0.0, min(now, self.end) - max(self.clock, t.start))
            if span:
                t.idle[cause] = t.idle.get(cause, 0.0) + idle * span
                t.wrap += wrap * span
        self.clock = max(self.clock, now)

    def take_idle(self, now: float) -> int | None:
        """The longest-idle agent, else one on standby (its last call), else None."""
        if self.idle:
            return self.idle.popleft()
        for agent in list(self.standby):
            if self.take_standby(agent, now):
                return agent
        return None

    def take_standby(self, agent: int, now: float) -> bool:
        if self.standby.pop(agent, 0.0) <= now:
            return False
        self.leaving.add(agent)
        self.idle_since[agent] = now
        return True

    def take(self, agent: int) -> None:
        self.idle.remove(agent)

    def start_talk(self, agent: int, now: float, talk: float) -> None:
        for t in self.tallies:
            t.talk += max(0.0, min(now + talk, self.end) - max(now, t.start))
            if now >= t.start:
                t.connects += 1
                t.idle_before += now - self.idle_since[agent]
        self.talking[agent] = now

    def end_talk(self, agent: int, now: float, wrap_until: float) -> float:
        self.wrapping[agent] = wrap_until
        return now - self.talking.pop(agent)

    def end_wrap(self, agent: int, now: float) -> bool:
        """The agent is free again; False when it is logging out."""
        del self.wrapping[agent]
        if agent in self.leaving:
            self.leaving.discard(agent)
            self.logged_out_at[agent] = now
            if agent not in self.standby_done:
                self._to_standby(agent, now)
            return False
        self.idle.append(agent)
        self.idle_since[agent] = now
        return True

    def _to_standby(self, agent: int, now: float) -> None:
        self.standby[agent] = now + self.standby_for
        self.standby_done.add(agent)
        self.logged_out_at[agent] = min(self.end, now + self.standby_for)

    def log_out(self, count: int, now: float) -> None:
        """``count`` agents leave: idle ones at once, busy ones after their call."""
        while count and self.idle:
            self._to_standby(self.idle.pop(), now)
            count -= 1
        busy = [a for a in (*self.talking, *self.wrapping) if a not in self.leaving]
        self.leaving.update(busy[:count])

    def busy(self, now: float) -> tuple[list[float], list[float]]:
        """(talk elapsed, wrap-up left) of busy agents that will come back."""
        talking = [now - t for a, t in self.talking.items() if a not in self.leaving]
        wrapping = [t - now for a, t in self.wrapping.items() if a not in self.leaving]
        return talking, wrapping

    def logged_in_seconds(self, start: float = 0.0) -> float:
        return sum(max(0.0, self.logged_out_at.get(a, self.end) - start) for a in range(self.size))
