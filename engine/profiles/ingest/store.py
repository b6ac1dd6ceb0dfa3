"""Reads one customer's profile for ``GET /profiles/customers/{id}`` and their event
history. Runs on the Database thread (``Database.run``).

Customers who opted out of prediction show no risk (``risk: null``), whatever is stored.
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlite_utils

RECENT_INTERACTIONS = 200
RECENT_ORDERS = 20


def _json(value: Any) -> Any:
    if isinstance(value, str) and value:
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _rows(db: sqlite_utils.Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    return list(db.query(sql, params))


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


def customer_view(db: sqlite_utils.Database, customer_id: str) -> dict[str, Any] | None:
    row = next(db.query("SELECT * FROM customers WHERE id = ?", [customer_id]), None)
    if row is None:
        return None
    opted_out = bool(row.get("prediction_opt_out"))
    profile = dict(row) | {
        "attrs": _json(row.get("attrs")) or {},
        "consent": _json(row.get("consent")) or {},
        "prediction_opt_out": opted_out,
        "contact_opt_out": bool(row.get("contact_opt_out")),
    }
    risk = None
    if not opted_out:
        found = _rows(db, "SELECT * FROM risk WHERE customer_id = ?", [customer_id])
        if found:
            risk = {k: _json(v) if k in ("tags", "reasons") else v for k, v in found[0].items()}
    interactions = _rows(
        db,
        "SELECT * FROM interactions WHERE customer_id = ? ORDER BY at DESC LIMIT ?",
        [customer_id, RECENT_INTERACTIONS],
    )
    return {
        "customer": profile,
        "contact_points": _rows(
            db,
            "SELECT kind, value, added_at FROM contact_points "
            "WHERE customer_id = ? ORDER BY kind, added_at",
            [customer_id],
        ),
        "conversations": conversations(interactions),
        "open_tickets": _rows(
            db,
            "SELECT * FROM tickets WHERE customer_id = ? AND "
            "coalesce(status, 'open') != 'resolved' "
            "ORDER BY opened_at DESC",
            [customer_id],
        ),
        "recent_orders": _rows(
            db,
            "SELECT * FROM orders WHERE customer_id = ? ORDER BY at DESC LIMIT ?",
            [customer_id, RECENT_ORDERS],
        ),
        "risk": risk,
    }


def events_since(
    db: sqlite_utils.Database, customer_id: str, since: float, limit: int
) -> list[dict[str, Any]]:
    rows = _rows(
        db,
        "SELECT id, type, customer_id, at, received_at, source, data "
        "FROM events WHERE customer_id = ? AND at >= ? ORDER BY at, rowid "
        "LIMIT ?",
        [customer_id, since, limit],
    )
    for r in rows:
        r["data"] = _json(r["data"]) or {}
    return rows
