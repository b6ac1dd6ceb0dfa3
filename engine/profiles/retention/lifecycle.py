"""Where a customer is in their life with us (new, growing, mature, declining) and the
strategy for that stage. Pure: orders and ``now`` in, a stage out.

- **new**: first seen less than ``new_days`` ago.
- **declining**: spend of the last ``window_days`` fell below ``decline_ratio`` of the
  window before, or no order for ``window_days`` although there were orders before.
- **growing**: spend of the last window rose above ``growth_ratio`` of the one before.
- **mature**: everyone else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from engine.profiles.value import NOT_COUNTED, Order

Stage = Literal["new", "growing", "mature", "declining"]
DAY = 86400.0

STRATEGIES: dict[str, str] = {
    "new": "build trust: answer fast, walk them through the basics",
    "growing": "add value: feature upgrades and personal service",
    "mature": "keep them close: loyalty programme and deeper engagement",
    "declining": "win them back: reach out first and find out why they drift",
}


@dataclass(frozen=True)
class StageRules:
    new_days: float = 90
    window_days: float = 90
    growth_ratio: float = 1.2
    decline_ratio: float = 0.7


@dataclass(frozen=True)
class Lifecycle:
    stage: Stage
    strategy: str
    recent_spend: float
    previous_spend: float


def stage_of(
    orders: Iterable[Order], first_seen: float, now: float, rules: StageRules = StageRules()
) -> Lifecycle:
    kept = [o for o in orders if o.status not in NOT_COUNTED]
    window = rules.window_days * DAY
    recent = sum(o.amount for o in kept if now - window <= o.at <= now)
    previous = sum(o.amount for o in kept if now - 2 * window <= o.at < now - window)
    stage: Stage
    if now - first_seen < rules.new_days * DAY:
        stage = "new"
    elif (kept and recent == 0) or (previous > 0 and recent < rules.decline_ratio * previous):
        stage = "declining"
    elif recent > 0 and recent > rules.growth_ratio * previous:
        stage = "growing"
    else:
        stage = "mature"
    return Lifecycle(stage, STRATEGIES[stage], round(recent, 2), round(previous, 2))
