"""Call records: one row per inbound call, written when it connects and ends.

The table and its migrations are in ``schema.py``; this module reads and writes rows.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from sqlalchemy import Connection, select

from engine.calls.schema import COLUMNS, calls
from engine.store.database import Database
from engine.store.sql import first, insert_for, rows


def _row(record: dict[str, Any]) -> dict[str, Any]:
    row = {k: v for k, v in record.items() if k in COLUMNS}
    if isinstance(row.get("ivr_path"), list):
        row["ivr_path"] = json.dumps(row["ivr_path"])
    return row


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    if row.get("ivr_path"):
        row["ivr_path"] = json.loads(row["ivr_path"])
    return row


@functools.lru_cache(maxsize=64)
def _upsert(dialect: str, columns: tuple[str, ...]) -> Any:
    """The upsert of these columns, built once: building it (``excluded`` and its column
    proxies) was most of a save, 0.39 ms against 0.03 ms once built, on the database
    thread but holding the GIL the event loop needs (benchmarks/db_save.py)."""
    stmt = insert_for(dialect, calls)
    fields = {k: stmt.excluded[k] for k in columns if k != "id"}
    return stmt.on_conflict_do_update(index_elements=["id"], set_=fields)


def save(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(_upsert(conn.dialect.name, tuple(row)), row)


class CallRecords:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, record: dict[str, Any]) -> None:
        await self.db.run(save, _row(record))

    async def get(self, call_id: str) -> dict[str, Any] | None:
        def _get(conn: Connection) -> dict[str, Any] | None:
            row = first(conn.execute(select(calls).where(calls.c.id == call_id)))
            return _decode(row) if row else None

        return await self.db.run(_get)

    async def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        def _recent(conn: Connection) -> list[dict[str, Any]]:
            query = select(calls).order_by(calls.c.arrived_at.desc()).limit(limit)
            return [_decode(r) for r in rows(conn.execute(query))]

        return await self.db.run(_recent)
