"""Transcripts in SQLite: every final result of every heard leg, stored with its call.

The table (its columns and migrations) is in ``schema.py``. ``GET /calls/{id}/transcript``
reads the rows back through ``TranscriptStore.for_call``.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from engine.speech.schema import COLUMNS
from engine.store.database import Database


def _row(segment: dict[str, Any]) -> dict[str, Any]:
    row = {k: v for k, v in segment.items() if k in COLUMNS}
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
        rows = [_row(s) for s in segments]
        if rows:
            await self.db.run(lambda d: d["transcripts"].insert_all(rows))

    async def for_call(self, call_id: str) -> list[dict[str, Any]]:
        """The call's finals in the order they were said (both legs interleaved)."""

        def _read(d: sqlite_utils.Database) -> list[dict[str, Any]]:
            return [
                _segment(r)
                for r in d["transcripts"].rows_where("call_id = ?", [call_id], order_by="at, id")
            ]

        return await self.db.run(_read)
