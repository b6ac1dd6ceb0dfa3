"""Dial-time compliance: may this number be called now, and if not, why and until when.

Pure: ``check(contact, attempts, now, policy, blocked)`` returns a ``Decision`` with a
kebab-case reason. ``now`` is an aware datetime; calling windows are read in the
customer's own time zone (zoneinfo, so daylight-saving changes are handled). The
DNC list and opt-outs come in through ``blocked(number) -> bool``, a hook the I/O
side fills (from a preloaded set, a database...). Rules, in the order checked:
DNC, opt-out, maximum attempts, the 72 h rest after an abandoned call (waived when
an agent is reserved for the call), the retry interval of the last outcome, and the
calling window. ``ring_timeout`` never lets a line ring less than 15 s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.dialer.core.actions import MIN_RING_SECONDS, Dial
from engine.dialer.core.guard import QUIET_AFTER_ABANDON, redial_allowed

AttemptOutcome = Literal["answered", "busy", "no-answer", "machine", "abandoned", "failed"]

_RETRY = {
    "busy": timedelta(minutes=10),
    "no-answer": timedelta(hours=2),
    "machine": timedelta(hours=4),
    "failed": timedelta(minutes=15),
    "answered": timedelta(hours=24),
    "abandoned": timedelta(0),
}


@dataclass(frozen=True)
class CallingWindow:
    start: time = time(9, 0)
    end: time = time(20, 0)
    weekdays: frozenset[int] = frozenset(range(7))  # 0 = Monday

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("a calling window must start before it ends (same day)")


@dataclass(frozen=True)
class Policy:
    window: CallingWindow = CallingWindow()
    max_attempts: int = 6
    retry_after: Mapping[str, timedelta] = field(default_factory=lambda: MappingProxyType(_RETRY))
    min_ring: float = MIN_RING_SECONDS
    abandoned_rest: float = QUIET_AFTER_ABANDON  # seconds

    def __post_init__(self) -> None:
        if self.min_ring < MIN_RING_SECONDS:
            raise ValueError(f"lines must ring at least {MIN_RING_SECONDS:g} s")


@dataclass(frozen=True)
class Attempt:
    at: datetime
    outcome: AttemptOutcome


@dataclass(frozen=True)
class Contact:
    id: str
    number: str
    timezone: str  # IANA name, e.g. "America/New_York"
    opted_out: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # "ok" or a kebab-case rule id
    retry_at: datetime | None = None


def ring_timeout(policy: Policy, wanted: float) -> float:
    return max(wanted, policy.min_ring)


def window_check(now: datetime, timezone: str, window: CallingWindow) -> Decision:
    """Inside the calling window in ``timezone``? If not, when does it open next?"""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return Decision(False, "unknown-timezone")
    local = now.astimezone(zone)
    if local.weekday() in window.weekdays and window.start <= local.time() < window.end:
        return Decision(True, "ok")
    for days in range(8):
        day: date = local.date() + timedelta(days=days)
        opens = datetime.combine(day, window.start, tzinfo=zone)
        if day.weekday() in window.weekdays and opens > local:
            return Decision(False, "outside-calling-window", opens.astimezone(now.tzinfo))
    return Decision(False, "no-calling-days")


def check(
    contact: Contact,
    attempts: Sequence[Attempt],
    now: datetime,
    policy: Policy = Policy(),
    blocked: Callable[[str], bool] = lambda _: False,
    agent_reserved: bool = False,
) -> Decision:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if blocked(contact.number):
        return Decision(False, "dnc")
    if contact.opted_out:
        return Decision(False, "opted-out")
    if len(attempts) >= policy.max_attempts:
        return Decision(False, "max-attempts")
    abandoned = [a.at for a in attempts if a.outcome == "abandoned"]
    if abandoned and not redial_allowed(
        max(abandoned).timestamp(), now.timestamp(), agent_reserved, policy.abandoned_rest
    ):
        rest = max(abandoned) + timedelta(seconds=policy.abandoned_rest)
        return Decision(False, "abandoned-72h", rest)
    if attempts:
        last = max(attempts, key=lambda a: a.at)
        due = last.at + policy.retry_after.get(last.outcome, timedelta(0))
        if now < due:
            return Decision(False, f"retry-after-{last.outcome}", due)
    return window_check(now, contact.timezone, policy.window)


def pick(
    candidates: Iterable[tuple[Contact, Sequence[Attempt]]],
    n: int,
    now: datetime,
    policy: Policy = Policy(),
    blocked: Callable[[str], bool] = lambda _: False,
    ring: float = 25.0,
) -> tuple[list[Dial], list[tuple[Contact, Decision]]]:
    """The first ``n`` callable contacts, in the caller's priority order, as ``Dial``
    actions; and every contact passed over on the way, with its decision."""
    dials: list[Dial] = []
    skipped: list[tuple[Contact, Decision]] = []
    for contact, attempts in candidates:
        if len(dials) >= n:
            break
        decision = check(contact, attempts, now, policy, blocked)
        if decision.allowed:
            dials.append(Dial(contact.id, contact.number, ring_timeout(policy, ring)))
        else:
            skipped.append((contact, decision))
    return dials, skipped
