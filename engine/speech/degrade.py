"""Overload policy: what recognition gives up, in order, when workers fall behind. Pure.

``lag`` is the audio waiting for a worker, in seconds per worker (how long the pool
needs to catch up). Levels rise as it grows and fall only when it has shrunk well
below the threshold that raised them and ``hold`` seconds have passed since the last
change (dropping a backlog empties it at once, so lag alone would flap):

0. everything;
1. agent legs are not transcribed (their audio is dropped) - DEGRADE_AGENTS;
2. no partial results for anyone - DEGRADE_PARTIALS;
3. caller free-form transcription keeps only its newest audio - DEGRADE_CALLERS.
Menu (IVR grammar) sessions are always served first and never dropped: they decide
where calls go. Nothing here ever blocks: feeding audio is O(1) at every level.
"""

from __future__ import annotations

from dataclasses import dataclass

DEGRADE_AGENTS, DEGRADE_PARTIALS, DEGRADE_CALLERS = 1, 2, 3
LEVEL_NAMES = ("normal", "agent legs dropped", "partials off", "caller backlog capped")


@dataclass(frozen=True)
class Policy:
    raise_at: tuple[float, float, float] = (0.5, 1.0, 2.0)  # lag (s/worker) for levels 1-3
    lower_ratio: float = 0.4  # a level is left when lag < ratio * its threshold
    session_cap: float = 10.0  # seconds of audio any session may have waiting
    caller_cap: float = 1.0  # level 3: seconds a caller free-form session may have waiting
    hold: float = 2.0  # seconds a level stays before it may be lowered

    def level(self, current: int, lag: float, since_change: float = float("inf")) -> int:
        level = current
        while level < len(self.raise_at) and lag >= self.raise_at[level]:
            level += 1
        if level > current or since_change < self.hold:
            return level
        while level > 0 and lag < self.lower_ratio * self.raise_at[level - 1]:
            level -= 1
        return level

    @staticmethod
    def priority(role: str, menu: bool) -> int:
        """Lower is served first: IVR menus, then callers, then agents."""
        return 0 if menu else 1 if role == "caller" else 2

    def accepts(self, level: int, role: str, menu: bool) -> bool:
        return menu or role != "agent" or level < DEGRADE_AGENTS

    def cap(self, level: int, role: str, menu: bool) -> float:
        if not menu and role == "caller" and level >= DEGRADE_CALLERS:
            return self.caller_cap
        return self.session_cap

    @staticmethod
    def partials(level: int) -> bool:
        return level < DEGRADE_PARTIALS
