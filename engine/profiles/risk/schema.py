"""Tables of real-time risk (migration set ``profiles-risk``): ``risk_outreach``, the queue
of outreach webhooks, and an index of events by customer and type for re-scoring.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("profiles-risk")


@migrations()
def m001_outreach_queue(db: sqlite_utils.Database) -> None:
    db.table("risk_outreach").create(
        {
            "id": int,
            "customer_id": str,
            "kind": str,
            "body": str,
            "status": str,
            "attempts": int,
            "due": float,
            "created_at": float,
            "delivered_at": float,
            "error": str,
            "intervention_id": int,
        },
        pk="id",
        defaults={"attempts": 0},
    )
    db.table("risk_outreach").create_index(["status", "due"])
    db.table("risk_outreach").create_index(["customer_id", "status"])


@migrations()
def m002_events_by_type(db: sqlite_utils.Database) -> None:
    """Re-scoring reads a customer's inquiries, transcripts and emotions, not every event."""
    if db["events"].exists():
        db.table("events").create_index(["customer_id", "type"], if_not_exists=True)
