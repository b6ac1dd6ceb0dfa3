"""Transcripts in SQLite: every final result of every heard leg, stored with its call.

One row per final (caller or agent, IVR grammar or free-form): the call, the leg's role,
the text, when it was said (``at``, epoch seconds; ``start``/``end`` in seconds of the
leg's audio), the menu and intent in the IVR, the words with their timing, and for caller
utterances the emotion score and label. ``GET /calls/{id}/transcript`` reads them back.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils
from sqlite_utils import Migrations

from engine.store.database import Database

migrations = Migrations("transcripts")
COLUMNS = {"call_id": str, "role": str, "lang": str, "text": str, "at": float,
           "start": float, "end": float, "menu": str, "intent": str, "words": str,
           "emotion_score": float, "emotion_label": str}


@migrations()
def m001_transcripts(db: sqlite_utils.Database) -> None:
    db["transcripts"].create({"id": int, **COLUMNS}, pk="id")
    db["transcripts"].create_index(["call_id", "at"])


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
            return [_segment(r) for r in d["transcripts"].rows_where(
                "call_id = ?", [call_id], order_by="at, id")]
        return await self.db.run(_read)
