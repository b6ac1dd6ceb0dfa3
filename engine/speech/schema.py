"""The transcripts table in SQLite (``Migrations("transcripts")``, applied at engine start).

One row per final (caller or agent, IVR grammar or free-form): the call, the leg's role,
the text, when it was said (``at``, epoch seconds; ``start``/``end`` in seconds of the
leg's audio), the menu and intent in the IVR, the words with their timing, and for caller
utterances the emotion score and label. ``store.py`` writes and reads the rows.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("transcripts")
COLUMNS = {
    "call_id": str,
    "role": str,
    "lang": str,
    "text": str,
    "at": float,
    "start": float,
    "end": float,
    "menu": str,
    "intent": str,
    "words": str,
    "emotion_score": float,
    "emotion_label": str,
}


@migrations()
def m001_transcripts(db: sqlite_utils.Database) -> None:
    transcripts = db.table("transcripts")
    transcripts.create({"id": int, **COLUMNS}, pk="id")
    transcripts.create_index(["call_id", "at"])
