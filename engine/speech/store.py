"""Transcripts: every final result of every heard leg, stored with its call.

The table (its columns and migrations) is in ``schema.py``. ``GET /calls/{id}/transcript``
reads the rows back through ``TranscriptStore.for_call``.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from engine.speech.schema import COLUMNS, transcripts
from engine.store.database import Database
from engine.store.sql import rows


def _row(segment: dict[str, Any]) -> dict[str, Any]:
    row = {k: segment.get(k) for k in COLUMNS}
    if not isinstance(row.get("words"), str | None):
        row["words"] = json.dumps(row["words"], ensure_ascii=False)
    return row


def _segment(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row.pop("id", None)
    row["words"] = json.loads(row["words"]) if row.get("words") else []
    return row


class TranscriptStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, segments: list[dict[str, Any]]) -> None:
        rows_ = [_row(s) for s in segments]
        if rows_:
            await self.db.run(lambda c: c.execute(transcripts.insert(), rows_))

    async def for_call(self, call_id: str) -> list[dict[str, Any]]:
        """The call's finals in the order they were said (both legs interleaved)."""

        def _read(conn: Connection) -> list[dict[str, Any]]:
            t = transcripts
            query = select(t).where(t.c.call_id == call_id).order_by(t.c.at, t.c.id)
            return [_segment(r) for r in rows(conn.execute(query))]

        return await self.db.run(_read)
