"""Adds value to an identified caller before routing sees them: the spend percentile
(routing's ``skills/vip.yaml`` makes the top 5% platinum; this module never decides a
tier itself) and loyalty flags (``vip`` for the VIP loyalty levels of
``skills/offers.yaml``, ``loyalty-<level>`` always). Only fills what the wrapped lookup
left empty; a slow store never holds the call (``TIMEOUT``), the caller goes on as is.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from engine.calls.ports import Caller, CallerLookup
from engine.logs import get_logger
from engine.profiles.schema import customers, orders
from engine.profiles.value import NOT_COUNTED, Loyalty, LoyaltyScheme, SpendRanking, loyalty_flags
from engine.store.database import Database

log = get_logger(__name__)
TIMEOUT = 0.2


SPEND = (
    select(func.coalesce(func.sum(orders.c.amount), 0))
    .where(orders.c.customer_id == bindparam("customer_id"))
    .where(func.coalesce(orders.c.status, "").not_in(sorted(NOT_COUNTED)))
)
LOYALTY = select(customers.c.loyalty_level, customers.c.loyalty_points).where(
    customers.c.id == bindparam("customer_id")
)


def spend_and_loyalty(db: Connection, customer_id: str) -> tuple[float, Loyalty] | None:
    row = db.execute(LOYALTY, {"customer_id": customer_id}).first()
    if row is None:
        return None
    spend = db.execute(SPEND, {"customer_id": customer_id}).scalar_one()
    return float(spend), Loyalty(row[0], int(row[1] or 0))


class ValuedLookup:
    def __init__(
        self,
        lookup: CallerLookup,
        db: Database,
        ranking: Callable[[], Any],
        scheme: Callable[[], LoyaltyScheme],
        read: Callable[..., Awaitable[Any]] | None = None,
    ) -> None:
        """``read(fn, *args)``: a read beside the writer (the caller-ID lookup's own
        connections, ``StoreLookup.read``); without it reads queue on the writer."""
        self.lookup = lookup
        self.db = db
        self.read = read
        self.ranking = ranking  # async () -> SpendRanking
        self.scheme = scheme

    async def identify(self, caller_number: str) -> Caller | None:
        caller = await self.lookup.identify(caller_number)
        if caller is None:
            return None
        try:
            found = await asyncio.wait_for(self._value(caller.customer_id), TIMEOUT)
        except Exception as exc:
            log.warning("value.lookup_skipped", customer=caller.customer_id, error=repr(exc))
            return caller
        if found is None:
            return caller
        percentile, flags = found
        return dataclasses.replace(
            caller,
            flags=caller.flags | flags,
            value_percentile=caller.value_percentile
            if caller.value_percentile is not None
            else percentile,
        )

    async def _value(self, customer_id: str) -> tuple[float | None, frozenset[str]] | None:
        if self.read is not None:
            found = await self.read(spend_and_loyalty, customer_id)
        else:
            found = await self.db.run(spend_and_loyalty, customer_id)
        if found is None:
            return None
        spend, loyalty = found
        ranking: SpendRanking = await self.ranking()
        return ranking.percentile(spend), loyalty_flags(loyalty, self.scheme())
