"""Call records in SQLite: one row per inbound call, written when it connects and ends.

The table and its migrations are in ``schema.py``; this module reads and writes rows.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from engine.calls.schema import COLUMNS
from engine.store.database import Database


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
            return [
                _decode(r) for r in d["calls"].rows_where(order_by="arrived_at desc", limit=limit)
            ]

        return await self.db.run(_recent)
