"""Call records in SQLite: one row per inbound call, written when it connects and ends."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils
from sqlite_utils import Migrations

from engine.store.database import Database

migrations = Migrations("calls")


@migrations()
def m001_calls(db: sqlite_utils.Database) -> None:
    db["calls"].create({
        "id": str, "status": str, "caller_channel": str, "caller_number": str,
        "caller_name": str, "did": str, "customer_id": str, "vip_tier": str,
        "risk_tier": str, "language": str, "ivr_path": str, "queue": str, "topic": str,
        "agent_id": str, "agent_channel": str, "agent_attempts": int,
        "last_agent_failure": str, "arrived_at": float, "answered_at": float,
        "queued_at": float, "agent_dialed_at": float, "agent_answered_at": float,
        "connected_at": float, "ended_at": float, "hangup_by": str, "end_cause": str,
    }, pk="id")
    db["calls"].create_index(["arrived_at"])
    db["calls"].create_index(["caller_number"])
    db["calls"].create_index(["agent_id"])


COLUMNS = frozenset({
    "id", "status", "caller_channel", "caller_number", "caller_name", "did", "customer_id",
    "vip_tier", "risk_tier", "language", "ivr_path", "queue", "topic", "agent_id",
    "agent_channel", "agent_attempts", "last_agent_failure", "arrived_at", "answered_at",
    "queued_at", "agent_dialed_at", "agent_answered_at", "connected_at", "ended_at",
    "hangup_by", "end_cause",
})


def _row(record: dict[str, Any]) -> dict[str, Any]:
    row = {k: v for k, v in record.items() if k in COLUMNS}
    if isinstance(row.get("ivr_path"), list):
        row["ivr_path"] = json.dumps(row["ivr_path"])
    return row


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    if row.get("ivr_path"):
        row["ivr_path"] = json.loads(row["ivr_path"])
    return row


class CallRecords:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, record: dict[str, Any]) -> None:
        row = _row(record)
        await self.db.run(lambda d: d["calls"].insert(row, pk="id", replace=True))

    async def get(self, call_id: str) -> dict[str, Any] | None:
        def _get(d: sqlite_utils.Database) -> dict[str, Any] | None:
            rows = list(d["calls"].rows_where("id = ?", [call_id]))
            return _decode(rows[0]) if rows else None
        return await self.db.run(_get)

    async def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        def _recent(d: sqlite_utils.Database) -> list[dict[str, Any]]:
            return [_decode(r) for r in
                    d["calls"].rows_where(order_by="arrived_at desc", limit=limit)]
        return await self.db.run(_recent)
