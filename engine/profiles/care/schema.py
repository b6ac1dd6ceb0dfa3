"""Tables of proactive care (migration set ``profiles-care``): ``care_seen``, the events
the care rules watch, and ``care_fired``, the causes already served with their delivery
state (a primary key makes "once per cause" hold even across engine instances sharing
the database).
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Float, Index, Integer, MetaData, Table, Text

from engine.store.migrations import Migrations, create_tables

metadata = MetaData()
migrations = Migrations("profiles-care")
care_seen = Table(
    "care_seen",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Text),
    Column("type", Text),
    Column("at", Float),
    Column("data", Text),
    Index("idx_care_seen_customer_id_type_at", "customer_id", "type", "at"),
    Index("idx_care_seen_at", "at"),
)
care_fired = Table(
    "care_fired",
    metadata,
    Column("customer_id", Text, primary_key=True),
    Column("rule", Text, primary_key=True),
    Column("cause", Text, primary_key=True),
    Column("at", Float),
    *(Column(c, Text) for c in ("action", "channel", "message", "offer", "status")),
    Column("due", Float),
    Column("arm", Text),
    Column("attempts", Integer),
    Column("delivered_at", Float),
    Column("error", Text),
    Index("idx_care_fired_status_due", "status", "due"),
)


@migrations()
def m001_care(conn: Connection) -> None:
    create_tables(conn, care_seen, care_fired)
