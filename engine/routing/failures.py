"""What a failed offer says, and whom it holds back (pure: no I/O).

An offer fails for one of two kinds of reasons:

- **this box cannot reach the phone** (the originate failed, the trunk or the phone's
  box answered congestion / channel unavailable, the phone is not registered where this
  box dialled it): nothing is wrong with the person, and another box may reach them
  fine. The agent is kept from offers *of this box only* for ``offer_exclude_seconds``
  (``scope == "box"``); other boxes keep offering them, and this box does not ring them
  again in a loop.
- **the person did not take it** (rejected, busy, rang out unanswered): an agent-level
  pause, as in every ACD (``scope == "agent"``, ended by ``offer_pause_seconds``).

Anything unknown is treated as a ring that was not answered (agent level), as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Scope = Literal["box", "agent"]


@dataclass(frozen=True)
class Verdict:
    scope: Scope  # "box": excluded from this box's offers; "agent": paused everywhere
    reason: str  # the pause reason, or why the box cannot reach the phone


# raw failure (engine.calls / engine.dialer: dial status, hangup cause, originate) -> verdict
RULES: dict[str, Verdict] = {
    "originate-failed": Verdict("box", "originate-failed"),
    "congestion": Verdict("box", "congestion"),
    "unreachable": Verdict("box", "unreachable"),
    "busy": Verdict("agent", "busy"),
    "rejected": Verdict("agent", "busy"),
    "no-answer": Verdict("agent", "ring-timeout"),
    "timeout": Verdict("agent", "ring-timeout"),
    "ring-timeout": Verdict("agent", "ring-timeout"),
}
UNKNOWN = Verdict("agent", "ring-timeout")


def judge(failure: str) -> Verdict:
    """The verdict on one failed offer (``failure`` as the call engine reports it)."""
    return RULES.get((failure or "").strip().lower(), UNKNOWN)


def exclusions(agent: dict[str, str], now: float) -> dict[str, dict[str, object]]:
    """The boxes an agent is excluded from now, from the agent's Redis hash
    (``x:<box>`` = ``<until>|<reason>``): {box: {"reason", "until"}}."""
    out: dict[str, dict[str, object]] = {}
    for field, value in agent.items():
        if not field.startswith("x:"):
            continue
        until, _, reason = value.partition("|")
        try:
            ends = float(until)
        except ValueError:
            continue
        if ends > now:
            out[field[2:]] = {"reason": reason, "until": ends}
    return dict(sorted(out.items()))
