"""The dialer's tables (``Migrations("dialer")``, applied at engine start).

- ``campaigns``: name, ``kind`` (callback | manual), ``mode`` (preview | progressive |
  predictive), ``status`` (draft | running | paused | stopped | done), the agents'
  routing ``queue``, the ``policy`` (JSON, ``policy.py``), when it was created/started.
- ``contacts``: who a campaign calls: number, customer, time zone, priority, due time
  (callbacks), ``callback_id`` (the profile store's ``callbacks`` row it came from),
  attempts so far, last outcome, ``next_at`` (not before), ``status`` (pending, dialing,
  previewing, then done | exhausted | blocked) and the ``reason`` of a final status.
- ``attempts``: every dial: channel, agent, when dialled / answered / ended, the AMD
  verdict, whether a person answered (``live``), the outcome, ring and talk seconds.
- ``dnc``: numbers never to call (checked at dial time).
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    text,
)

from engine.store.migrations import Migrations, create_tables

metadata = MetaData()
migrations = Migrations("dialer")
campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Integer, primary_key=True),
    *(Column(c, Text) for c in ("name", "kind", "mode", "status", "queue", "policy")),
    *(Column(c, Float) for c in ("created_at", "started_at", "stopped_at", "updated_at")),
)
contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id")),
    Column("customer_id", Text),
    Column("number", Text),
    Column("timezone", Text),
    Column("priority", Float, server_default=text("0.0")),
    Column("name", Text),
    Column("due_at", Float),
    Column("callback_id", Integer),
    Column("attempts", Integer, server_default=text("0")),
    Column("last_outcome", Text),
    Column("last_attempt_at", Float),
    Column("next_at", Float, server_default=text("0.0")),
    Column("status", Text, server_default=text("'pending'")),
    Column("reason", Text),
    Column("agent_id", Text),
    Column("added_at", Float),
    Column("updated_at", Float),
    Index("idx_contacts_campaign_id_status_next_at", "campaign_id", "status", "next_at"),
    Index("idx_contacts_campaign_id_number", "campaign_id", "number"),
    Index("idx_contacts_campaign_id_callback_id", "campaign_id", "callback_id", unique=True),
)
attempts = Table(
    "attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", Integer, ForeignKey("campaigns.id")),
    Column("contact_id", Integer, ForeignKey("contacts.id")),
    Column("customer_id", Text),
    Column("number", Text),
    Column("channel_id", Text),
    Column("agent_id", Text),
    Column("dialed_at", Float),
    Column("answered_at", Float),
    Column("amd_status", Text),
    Column("amd_cause", Text),
    Column("live", Integer),
    Column("outcome", Text),
    Column("intervention_outcome", Text),
    Column("ring_seconds", Float),
    Column("talk_seconds", Float),
    Column("ended_at", Float),
    Column("details", Text),
    Index("idx_attempts_campaign_id_outcome", "campaign_id", "outcome"),
    Index("idx_attempts_campaign_id_live_answered_at", "campaign_id", "live", "answered_at"),
    Index("idx_attempts_contact_id", "contact_id"),
)
dnc = Table(
    "dnc",
    metadata,
    Column("number", Text, primary_key=True),
    Column("added_at", Float),
    Column("reason", Text),
)


@migrations()
def m001_dialer(conn: Connection) -> None:
    create_tables(conn, campaigns, contacts, attempts, dnc)
