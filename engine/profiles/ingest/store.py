"""Reads one customer's profile for ``GET /profiles/customers/{id}`` and their event
history (functions of a SQLAlchemy ``Connection``, run by ``Database.run``).

Customers who opted out of prediction show no risk (``risk: null``), whatever is stored.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, func, select

from engine.profiles.schema import (
    contact_points,
    customers,
    events,
    interactions,
    orders,
    risk,
    tickets,
)
from engine.store.sql import first, rows

RECENT_INTERACTIONS = 200
RECENT_ORDERS = 20


def _json(value: Any) -> Any:
    if isinstance(value, str) and value:
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def conversations(interactions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Interactions grouped by conversation, most recently active first; a conversation
    that moved from chat to phone is one entry with both channels."""
    by_id: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(interactions, key=lambda r: r["at"] or 0.0):
        by_id.setdefault(row["conversation_id"], []).append(row)
    out = []
    for cid, msgs in by_id.items():
        out.append(
            {
                "conversation_id": cid,
                "channels": list(dict.fromkeys(m["channel"] for m in msgs)),
                "status": msgs[-1].get("status") or "open",
                "started_at": msgs[0]["at"],
                "last_at": msgs[-1]["at"],
                "messages": [
                    {
                        k: m.get(k)
                        for k in (
                            "id",
                            "at",
                            "channel",
                            "kind",
                            "direction",
                            "topic",
                            "content",
                            "status",
                        )
                    }
                    for m in msgs
                ],
            }
        )
    out.sort(key=lambda c: c["last_at"] or 0.0, reverse=True)
    return out


def customer_view(db: Connection, customer_id: str) -> dict[str, Any] | None:
    row = first(db.execute(select(customers).where(customers.c.id == customer_id)))
    if row is None:
        return None
    opted_out = bool(row.get("prediction_opt_out"))
    profile = dict(row) | {
        "attrs": _json(row.get("attrs")) or {},
        "consent": _json(row.get("consent")) or {},
        "prediction_opt_out": opted_out,
        "contact_opt_out": bool(row.get("contact_opt_out")),
    }
    found = None
    if not opted_out:
        found = first(db.execute(select(risk).where(risk.c.customer_id == customer_id)))
    scored = None
    if found:
        scored = {k: _json(v) if k in ("tags", "reasons") else v for k, v in found.items()}
    i, cp, t, o = interactions.c, contact_points.c, tickets.c, orders.c
    recent = (
        select(interactions)
        .where(i.customer_id == customer_id)
        .order_by(i.at.desc())
        .limit(RECENT_INTERACTIONS)
    )
    points = (
        select(cp.kind, cp.value, cp.added_at)
        .where(cp.customer_id == customer_id)
        .order_by(cp.kind, cp.added_at)
    )
    open_tickets = (
        select(tickets)
        .where(t.customer_id == customer_id, func.coalesce(t.status, "open") != "resolved")
        .order_by(t.opened_at.desc())
    )
    recent_orders = (
        select(orders)
        .where(o.customer_id == customer_id)
        .order_by(o.at.desc())
        .limit(RECENT_ORDERS)
    )
    return {
        "customer": profile,
        "contact_points": rows(db.execute(points)),
        "conversations": conversations(rows(db.execute(recent))),
        "open_tickets": rows(db.execute(open_tickets)),
        "recent_orders": rows(db.execute(recent_orders)),
        "risk": scored,
    }


def events_since(
    db: Connection, customer_id: str, since: float, limit: int
) -> list[dict[str, Any]]:
    e = events.c
    query = (
        select(e.id, e.type, e.customer_id, e.at, e.received_at, e.source, e.data)
        .where(e.customer_id == customer_id, e.at >= since)
        .order_by(e.at, e.received_at, e.id)
        .limit(limit)
    )
    found = rows(db.execute(query))
    for r in found:
        r["data"] = _json(r["data"]) or {}
    return found
