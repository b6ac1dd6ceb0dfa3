"""Tables of proactive care (migration set ``profiles-care``): ``care_seen``, the events
the care rules watch, and ``care_fired``, the causes already served with their delivery
state (a primary key makes "once per cause" hold even across engine instances sharing
the file).
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("profiles-care")


@migrations()
def m001_care(db: sqlite_utils.Database) -> None:
    db.table("care_seen").create(
        {"id": int, "customer_id": str, "type": str, "at": float, "data": str}, pk="id"
    )
    db.table("care_seen").create_index(["customer_id", "type", "at"])
    db.table("care_seen").create_index(["at"])
    db.table("care_fired").create(
        {
            "customer_id": str,
            "rule": str,
            "cause": str,
            "at": float,
            "action": str,
            "channel": str,
            "message": str,
            "offer": str,
            "status": str,
            "due": float,
            "arm": str,
            "attempts": int,
            "delivered_at": float,
            "error": str,
        },
        pk=("customer_id", "rule", "cause"),
    )
    db.table("care_fired").create_index(["status", "due"])
