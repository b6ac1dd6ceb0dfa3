"""Reads what the screen pop needs from the profile store's tables (``customers``,
``orders``, ``tickets``, ``interactions``, ``interventions``, ``risk``),
in one transaction on the Database thread, and keeps the spend ranking that turns a
lifetime value into a percentile (rebuilt at most every ``RANKING_TTL`` seconds).

Customers who opted out of prediction show no risk and no risk reasons.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Table, func, select

from engine.profiles import schema
from engine.profiles.care.store import OPT_OUT_COLUMNS
from engine.profiles.retention.screenpop import Conversation, ProfileView
from engine.profiles.value import NOT_COUNTED, Loyalty, Order, SpendRanking
from engine.store.database import Database
from engine.store.sql import first

RANKING_TTL = 60.0
MAX_MESSAGES = 20


def _pick(row: Mapping[str, Any], *names: str, default: Any = None) -> Any:
    for name in names:
        if row.get(name) not in (None, ""):
            return row[name]
    return default


def _json(value: Any, default: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return default
    return value if value is not None else default


def _rows(db: Connection, table: Table, customer_id: str) -> list[dict[str, Any]]:
    query = select(table).where(table.c.customer_id == customer_id)
    return [dict(r) for r in db.execute(query).mappings()]


def _order(row: Mapping[str, Any]) -> Order:
    return Order(
        str(_pick(row, "order_id", "id", default="")),
        float(_pick(row, "at", "placed_at", "created_at", default=0.0)),
        float(_pick(row, "amount", "total", "value", default=0.0)),
        str(_pick(row, "product", "sku", "plan", default="")),
        str(_pick(row, "status", default="placed")),
    )


def _ticket(row: Mapping[str, Any], kind: str) -> dict[str, Any]:
    return {
        "id": _pick(row, "ticket_id", "complaint_id", "id"),
        "kind": _pick(row, "kind", default=kind),
        "status": _pick(row, "status", default="open"),
        "subject": _pick(row, "subject", "topic", "title", "content", default=""),
        "opened_at": _pick(row, "opened_at", "at", "created_at"),
    }


def _resolved(row: Mapping[str, Any]) -> bool:
    return bool(row.get("resolved")) or row.get("status") in ("resolved", "closed")


def _conversations(rows: list[dict[str, Any]]) -> list[Conversation]:
    by_id: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        cid = str(_pick(row, "conversation_id", "id", default=""))
        by_id.setdefault(cid, []).append(row)
    out = []
    for cid, msgs in by_id.items():
        msgs.sort(key=lambda r: _pick(r, "at", default=0.0))
        last = msgs[-1]
        channel = str(_pick(last, "channel", default="chat"))
        status = "resolved" if _resolved(last) else "open"
        out.append(
            Conversation(
                cid,
                channel,
                status,
                float(_pick(msgs[0], "at", default=0)),
                [
                    {
                        "at": _pick(m, "at"),
                        "channel": _pick(m, "channel"),
                        "from": _pick(m, "direction", "sender", "from", default="customer"),
                        "topic": _pick(m, "topic"),
                        "text": _pick(m, "content", "text", "body", default=""),
                    }
                    for m in msgs[-MAX_MESSAGES:]
                ],
            )
        )
    return out


def read_view(db: Connection, customer_id: str) -> ProfileView | None:
    row = first(db.execute(select(schema.customers).where(schema.customers.c.id == customer_id)))
    if row is None:
        return None
    opted_out = any(bool(row.get(c)) for c in OPT_OUT_COLUMNS)
    risk: dict[str, Any] = {}
    if not opted_out:
        r = first(db.execute(select(schema.risk).where(schema.risk.c.customer_id == customer_id)))
        if r is not None:
            risk = {
                "tier": r.get("tier"),
                "score": r.get("score"),
                "reasons": _json(r.get("reasons"), []),
            }
    tickets = [
        _ticket(t, "ticket") for t in _rows(db, schema.tickets, customer_id) if not _resolved(t)
    ]
    interventions = [
        {
            "kind": i.get("kind"),
            "at": i.get("at"),
            "by": i.get("by"),
            "outcome": i.get("outcome"),
            "detail": _json(_pick(i, "details", "detail"), {}),
        }
        for i in _rows(db, schema.interventions, customer_id)
    ]
    return ProfileView(
        customer_id=customer_id,
        name=str(row.get("name") or ""),
        language=row.get("language"),
        preferred_style=_pick(row, "preferred_style", "service_style", "style"),
        first_seen=float(_pick(row, "created_at", "first_seen", default=0.0)),
        loyalty=Loyalty(
            _pick(row, "loyalty_level", "loyalty"),
            int(_pick(row, "loyalty_points", "points", default=0)),
        ),
        orders=[_order(o) for o in _rows(db, schema.orders, customer_id)],
        tickets=tickets,
        conversations=_conversations(_rows(db, schema.interactions, customer_id)),
        interventions=interventions,
        risk=risk,
    )


def spend_by_customer(db: Connection) -> list[float]:
    """Every customer's lifetime value (0 for those who never ordered)."""
    c, o = schema.customers.c, schema.orders.c
    counted = func.coalesce(o.status, "").not_in(sorted(NOT_COUNTED))
    query = (
        select(func.coalesce(func.sum(o.amount), 0))
        .select_from(schema.customers.outerjoin(schema.orders, (o.customer_id == c.id) & counted))
        .group_by(c.id)
    )
    return [float(v) for v in db.execute(query).scalars()]


class StoreReader:
    """``ProfileReader`` over the engine's store (``screen_feed.ProfileReader``). The spend
    ranking is rebuilt in the background when older than ``RANKING_TTL``; callers get the
    previous one meanwhile, and a caller that gives up waiting does not cancel a rebuild."""

    def __init__(self, db: Database, clock: Any = time.monotonic) -> None:
        self.db = db
        self.clock = clock
        self._ranking: SpendRanking | None = None
        self._built = 0.0
        self._rebuild: asyncio.Task[None] | None = None

    async def view(self, customer_id: str, now: float) -> ProfileView | None:
        return await self.db.run(read_view, customer_id)

    async def _build(self) -> None:
        self._ranking = SpendRanking(await self.db.run(spend_by_customer))
        self._built = self.clock()

    async def ranking(self) -> SpendRanking:
        stale = self._ranking is None or self.clock() - self._built > RANKING_TTL
        if stale and (self._rebuild is None or self._rebuild.done()):
            self._rebuild = asyncio.ensure_future(self._build())
        if self._ranking is None and self._rebuild is not None:
            await asyncio.shield(self._rebuild)
        return self._ranking or SpendRanking(())
