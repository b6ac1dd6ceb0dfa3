"""The profile store's tables (SQLAlchemy metadata; ``Migrations("profiles")``, applied at
start).

One customer row per customer; everything else points at it by ``customer_id``:

- ``contact_points``: how a customer is reached or recognised (``kind`` phone, email,
  chat, messaging; ``value`` normalised, e.g. digits only for phones). A caller ID finds
  its customer through ``(kind, value)``.
- ``interactions``: every contact on every channel (phone, email, chat, messaging) with a
  ``conversation_id`` that stays the same when a conversation moves between channels.
- ``tickets``: tickets and complaints (``kind``), open until ``resolved_at`` is set.
- ``orders``, ``ratings``, ``logins``: the behaviour risk tags read.
- ``interventions``: what was done for a customer, when, by whom, with what outcome
  (care rules, outreach, dialer attempts, agents); outcomes feed the risk model.
- ``events``: every ingested event once (primary key = the sender's event ID, which makes
  ingest idempotent).
- ``risk``: the current score of each customer with its reasons; ``risk_changes`` the
  history of tier changes.
- ``callbacks``: high-risk customers the dialer must call back, with their due time.

Consent: ``prediction_opt_out`` (1 = no risk scoring, no outreach, no care contact) and
``contact_opt_out`` (1 = never contacted proactively) on ``customers``.
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
    update,
)

from engine.store.migrations import Migrations, add_column, create_index, create_tables

metadata = MetaData()
migrations = Migrations("profiles")


def _customer_fk() -> ForeignKey:
    return ForeignKey("customers.id")


customers = Table(
    "customers",
    metadata,
    Column("id", Text, primary_key=True),
    *(
        Column(c, Text)
        for c in ("name", "language", "timezone", "preferred_style", "plan", "loyalty_level")
    ),
    Column("loyalty_points", Integer, server_default=text("0")),
    Column("created_at", Float),
    Column("updated_at", Float),
    Column("prediction_opt_out", Integer, server_default=text("0")),
    Column("contact_opt_out", Integer, server_default=text("0")),
    Column("consent", Text),
    Column("attrs", Text),
    Column("field_times", Text),  # m003
)
contact_points = Table(
    "contact_points",
    metadata,
    Column("kind", Text, primary_key=True),
    Column("value", Text, primary_key=True),
    Column("customer_id", Text, _customer_fk()),
    Column("added_at", Float),
    Index("idx_contact_points_customer_id", "customer_id"),
)
interactions = Table(
    "interactions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("customer_id", Text, _customer_fk()),
    *(
        Column(c, Text)
        for c in ("conversation_id", "channel", "direction", "topic", "content", "status")
    ),
    Column("at", Float),
    Column("kind", Text),  # m002
    Index("idx_interactions_customer_id_at", "customer_id", "at"),
    Index("idx_interactions_conversation_id", "conversation_id"),
)
INTERACTIONS_BY_KIND = Index(
    "idx_interactions_customer_id_kind_at",
    interactions.c.customer_id,
    interactions.c.kind,
    interactions.c.at,
)
tickets = Table(
    "tickets",
    metadata,
    Column("id", Text, primary_key=True),
    Column("customer_id", Text, _customer_fk()),
    *(Column(c, Text) for c in ("kind", "subject", "topic", "status")),
    Column("opened_at", Float),
    Column("resolved_at", Float),
    Index("idx_tickets_customer_id_status", "customer_id", "status"),
)
orders = Table(
    "orders",
    metadata,
    Column("id", Text, primary_key=True),
    Column("customer_id", Text, _customer_fk()),
    Column("at", Float),
    Column("amount", Float),
    Column("product", Text),
    Column("status", Text),
    Index("idx_orders_customer_id_at", "customer_id", "at"),
)
ratings = Table(
    "ratings",
    metadata,
    Column("id", Text, primary_key=True),
    Column("customer_id", Text, _customer_fk()),
    Column("stars", Integer),
    Column("at", Float),
    Column("channel", Text),
    Index("idx_ratings_customer_id_at", "customer_id", "at"),
)
logins = Table(
    "logins",
    metadata,
    Column("id", Text, primary_key=True),
    Column("customer_id", Text, _customer_fk()),
    Column("at", Float),
    Column("channel", Text),
    Index("idx_logins_customer_id_at", "customer_id", "at"),
)
interventions = Table(
    "interventions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Text),
    Column("kind", Text),
    Column("at", Float),
    Column("by", Text),
    Column("outcome", Text),
    Column("outcome_at", Float),
    Column("arm", Text),
    Column("details", Text),
    Index("idx_interventions_customer_id_at", "customer_id", "at"),
)
events = Table(
    "events",
    metadata,
    Column("id", Text, primary_key=True),
    Column("type", Text),
    Column("customer_id", Text),
    Column("at", Float),
    Column("received_at", Float),
    Column("source", Text),
    Column("data", Text),
    Index("idx_events_customer_id_at", "customer_id", "at"),
)
EVENTS_BY_TYPE = Index("idx_events_customer_id_type", events.c.customer_id, events.c.type)
risk = Table(
    "risk",
    metadata,
    Column("customer_id", Text, primary_key=True),
    Column("score", Float),
    Column("tier", Text),
    Column("tags", Text),
    Column("reasons", Text),
    Column("model", Text),
    Column("scored_at", Float),
    Index("idx_risk_tier", "tier"),
)
risk_changes = Table(
    "risk_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Text),
    Column("at", Float),
    Column("old_tier", Text),
    Column("new_tier", Text),
    Column("score", Float),
    Column("reasons", Text),
    Index("idx_risk_changes_customer_id_at", "customer_id", "at"),
)
callbacks = Table(
    "callbacks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Text),
    Column("number", Text),
    Column("score", Float),
    Column("value", Float),
    Column("priority", Float),
    Column("reason", Text),
    Column("created_at", Float),
    Column("due_at", Float),
    Column("status", Text),
    Column("campaign", Text),
    Column("updated_at", Float),
    Index("idx_callbacks_status_due_at", "status", "due_at"),
    Index("idx_callbacks_customer_id_status", "customer_id", "status"),
)
TABLES = (
    customers,
    contact_points,
    interactions,
    tickets,
    orders,
    ratings,
    logins,
    interventions,
    events,
    risk,
    risk_changes,
    callbacks,
)


@migrations()
def m001_profiles(conn: Connection) -> None:
    create_tables(conn, *TABLES)


@migrations()
def m002_interaction_kind(conn: Connection) -> None:
    """``interactions.kind``: ``interaction`` or ``inquiry`` (an interaction that asks
    something), so the risk tags can count inquiries without reading ``events``."""
    add_column(conn, interactions, "kind")
    conn.execute(
        update(interactions).where(interactions.c.kind.is_(None)).values(kind="interaction")
    )
    create_index(conn, INTERACTIONS_BY_KIND)


@migrations()
def m003_field_times(conn: Connection) -> None:
    """``customers.field_times``: JSON, the event time each profile field (and each
    ``attrs`` key, as ``attrs.<key>``) was last set by, so a ``customer.updated``
    delivered late never overwrites what a newer one said."""
    add_column(conn, customers, "field_times")
