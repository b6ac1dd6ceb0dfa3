"""What a customer is worth: lifetime value, spend percentile and loyalty, as routing and
offers use them. Pure: orders and loyalty come in, numbers and flags go out.

The VIP tier itself is routing's decision (``skills/vip.yaml``, ``engine/routing/plan.py``
``classify``): this module only supplies the percentile (top 5% means ``>= 95``) and
flags (``vip`` for the loyalty levels named VIP, ``loyalty-<level>`` always).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Order:
    order_id: str
    at: float  # epoch seconds
    amount: float
    product: str = ""
    status: str = "placed"  # placed | delivered | delayed | refunded | cancelled


@dataclass(frozen=True)
class Loyalty:
    level: str | None = None  # membership level as ingested, e.g. "gold"
    points: int = 0


@dataclass(frozen=True)
class LoyaltyScheme:
    """Membership levels lowest first, and which of them count as VIP for routing."""

    levels: tuple[str, ...] = ("basic", "silver", "gold", "platinum")
    vip_levels: frozenset[str] = frozenset({"platinum"})

    def rank(self, level: str | None) -> int:
        """0 for no or an unknown level, 1 for the lowest level, and so on."""
        return self.levels.index(level) + 1 if level in self.levels else 0


@dataclass(frozen=True)
class Value:
    lifetime_value: float
    percentile: float | None  # 0..100 among all customers, 100 = highest spend
    loyalty: Loyalty
    flags: frozenset[str]


NOT_COUNTED = frozenset({"refunded", "cancelled"})


def lifetime_value(orders: Iterable[Order]) -> float:
    """Money actually kept: every order except refunded and cancelled ones."""
    return round(sum(o.amount for o in orders if o.status not in NOT_COUNTED), 2)


class SpendRanking:
    """Percentile rank of a spend among all customers' lifetime values (built once, then
    O(log n) per lookup). The percentile is the share of customers who spent strictly
    less, so the top spender of 100 is at 99 and a tie shares the lower rank."""

    def __init__(self, values: Iterable[float]) -> None:
        self.sorted: Sequence[float] = sorted(values)

    def percentile(self, value: float) -> float | None:
        if not self.sorted:
            return None
        below = bisect.bisect_left(self.sorted, value)
        return round(100.0 * below / len(self.sorted), 2)


def spend_percentiles(values: Mapping[str, float]) -> dict[str, float]:
    ranking = SpendRanking(values.values())
    return {cid: ranking.percentile(v) or 0.0 for cid, v in values.items()}


def loyalty_flags(loyalty: Loyalty, scheme: LoyaltyScheme) -> frozenset[str]:
    if not loyalty.level:
        return frozenset()
    flags = {f"loyalty-{loyalty.level}"}
    if loyalty.level in scheme.vip_levels:
        flags.add("vip")
    return frozenset(flags)


def value_of(
    orders: Iterable[Order], loyalty: Loyalty, ranking: SpendRanking, scheme: LoyaltyScheme
) -> Value:
    ltv = lifetime_value(orders)
    return Value(ltv, ranking.percentile(ltv), loyalty, loyalty_flags(loyalty, scheme))
