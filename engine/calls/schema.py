"""The call records table in SQLite (``Migrations("calls")``, applied at engine start).

``calls``: one row per inbound call, written when it connects and ends (``store.py``).
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("calls")


@migrations()
def m001_calls(db: sqlite_utils.Database) -> None:
    calls = db.table("calls")
    calls.create(
        {
            "id": str,
            "status": str,
            "caller_channel": str,
            "caller_number": str,
            "caller_name": str,
            "did": str,
            "customer_id": str,
            "vip_tier": str,
            "risk_tier": str,
            "language": str,
            "ivr_path": str,
            "queue": str,
            "topic": str,
            "agent_id": str,
            "agent_channel": str,
            "agent_attempts": int,
            "last_agent_failure": str,
            "arrived_at": float,
            "answered_at": float,
            "queued_at": float,
            "agent_dialed_at": float,
            "agent_answered_at": float,
            "connected_at": float,
            "ended_at": float,
            "hangup_by": str,
            "end_cause": str,
        },
        pk="id",
    )
    calls.create_index(["arrived_at"])
    calls.create_index(["caller_number"])
    calls.create_index(["agent_id"])


COLUMNS = frozenset(
    {
        "id",
        "status",
        "caller_channel",
        "caller_number",
        "caller_name",
        "did",
        "customer_id",
        "vip_tier",
        "risk_tier",
        "language",
        "ivr_path",
        "queue",
        "topic",
        "agent_id",
        "agent_channel",
        "agent_attempts",
        "last_agent_failure",
        "arrived_at",
        "answered_at",
        "queued_at",
        "agent_dialed_at",
        "agent_answered_at",
        "connected_at",
        "ended_at",
        "hangup_by",
        "end_cause",
    }
)
