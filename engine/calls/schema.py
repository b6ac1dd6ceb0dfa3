"""The call records table (``Migrations("calls")``, applied at engine start).

``calls``: one row per inbound call, written when it connects and ends (``store.py``).
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Float, Index, Integer, MetaData, Table, Text

from engine.store.migrations import Migrations, create_tables

metadata = MetaData()
migrations = Migrations("calls")
TEXT = [
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
    "last_agent_failure",
    "hangup_by",
    "end_cause",
]
TIMES = [
    "arrived_at",
    "answered_at",
    "queued_at",
    "agent_dialed_at",
    "agent_answered_at",
    "connected_at",
    "ended_at",
]
calls = Table(
    "calls",
    metadata,
    Column("id", Text, primary_key=True),
    *(Column(c, Text) for c in TEXT),
    Column("agent_attempts", Integer),
    *(Column(c, Float) for c in TIMES),
    Index("idx_calls_arrived_at", "arrived_at"),
    Index("idx_calls_caller_number", "caller_number"),
    Index("idx_calls_agent_id", "agent_id"),
)
COLUMNS = frozenset(calls.c.keys())


@migrations()
def m001_calls(conn: Connection) -> None:
    create_tables(conn, calls)
