"""Tables of real-time risk (migration set ``profiles-risk``): ``risk_outreach``, the queue
of outreach webhooks, and an index of events by customer and type for re-scoring.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Float, Index, Integer, MetaData, Table, Text, text

from engine.profiles.schema import EVENTS_BY_TYPE
from engine.store.migrations import Migrations, create_index, create_tables

metadata = MetaData()
migrations = Migrations("profiles-risk")
risk_outreach = Table(
    "risk_outreach",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Text),
    Column("kind", Text),
    Column("body", Text),
    Column("status", Text),
    Column("attempts", Integer, server_default=text("0")),
    Column("due", Float),
    Column("created_at", Float),
    Column("delivered_at", Float),
    Column("error", Text),
    Column("intervention_id", Integer),
    Index("idx_risk_outreach_status_due", "status", "due"),
    Index("idx_risk_outreach_customer_id_status", "customer_id", "status"),
)


@migrations()
def m001_outreach_queue(conn: Connection) -> None:
    create_tables(conn, risk_outreach)


@migrations()
def m002_events_by_type(conn: Connection) -> None:
    """Re-scoring reads a customer's inquiries, transcripts and emotions, not every event."""
    create_index(conn, EVENTS_BY_TYPE)
