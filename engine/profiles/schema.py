"""The profile store's tables in SQLite (sqlite-utils migrations, applied at start).

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

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("profiles")


@migrations()
def m001_profiles(db: sqlite_utils.Database) -> None:
    db.table("customers").create(
        {
            "id": str,
            "name": str,
            "language": str,
            "timezone": str,
            "preferred_style": str,
            "plan": str,
            "loyalty_level": str,
            "loyalty_points": int,
            "created_at": float,
            "updated_at": float,
            "prediction_opt_out": int,
            "contact_opt_out": int,
            "consent": str,
            "attrs": str,
        },
        pk="id",
        defaults={"prediction_opt_out": 0, "contact_opt_out": 0, "loyalty_points": 0},
    )
    db.table("contact_points").create(
        {"kind": str, "value": str, "customer_id": str, "added_at": float},
        pk=("kind", "value"),
        foreign_keys=[("customer_id", "customers", "id")],
    )
    db.table("contact_points").create_index(["customer_id"])
    db.table("interactions").create(
        {
            "id": str,
            "customer_id": str,
            "conversation_id": str,
            "channel": str,
            "direction": str,
            "topic": str,
            "content": str,
            "status": str,
            "at": float,
        },
        pk="id",
        foreign_keys=[("customer_id", "customers", "id")],
    )
    db.table("interactions").create_index(["customer_id", "at"])
    db.table("interactions").create_index(["conversation_id"])
    db.table("tickets").create(
        {
            "id": str,
            "customer_id": str,
            "kind": str,
            "subject": str,
            "topic": str,
            "status": str,
            "opened_at": float,
            "resolved_at": float,
        },
        pk="id",
        foreign_keys=[("customer_id", "customers", "id")],
    )
    db.table("tickets").create_index(["customer_id", "status"])
    db.table("orders").create(
        {
            "id": str,
            "customer_id": str,
            "at": float,
            "amount": float,
            "product": str,
            "status": str,
        },
        pk="id",
        foreign_keys=[("customer_id", "customers", "id")],
    )
    db.table("orders").create_index(["customer_id", "at"])
    db.table("ratings").create(
        {"id": str, "customer_id": str, "stars": int, "at": float, "channel": str},
        pk="id",
        foreign_keys=[("customer_id", "customers", "id")],
    )
    db.table("ratings").create_index(["customer_id", "at"])
    db.table("logins").create(
        {"id": str, "customer_id": str, "at": float, "channel": str},
        pk="id",
        foreign_keys=[("customer_id", "customers", "id")],
    )
    db.table("logins").create_index(["customer_id", "at"])
    db.table("interventions").create(
        {
            "id": int,
            "customer_id": str,
            "kind": str,
            "at": float,
            "by": str,
            "outcome": str,
            "outcome_at": float,
            "arm": str,
            "details": str,
        },
        pk="id",
    )
    db.table("interventions").create_index(["customer_id", "at"])
    db.table("events").create(
        {
            "id": str,
            "type": str,
            "customer_id": str,
            "at": float,
            "received_at": float,
            "source": str,
            "data": str,
        },
        pk="id",
    )
    db.table("events").create_index(["customer_id", "at"])
    db.table("risk").create(
        {
            "customer_id": str,
            "score": float,
            "tier": str,
            "tags": str,
            "reasons": str,
            "model": str,
            "scored_at": float,
        },
        pk="customer_id",
    )
    db.table("risk").create_index(["tier"])
    db.table("risk_changes").create(
        {
            "id": int,
            "customer_id": str,
            "at": float,
            "old_tier": str,
            "new_tier": str,
            "score": float,
            "reasons": str,
        },
        pk="id",
    )
    db.table("risk_changes").create_index(["customer_id", "at"])
    db.table("callbacks").create(
        {
            "id": int,
            "customer_id": str,
            "number": str,
            "score": float,
            "value": float,
            "priority": float,
            "reason": str,
            "created_at": float,
            "due_at": float,
            "status": str,
            "campaign": str,
            "updated_at": float,
        },
        pk="id",
    )
    db.table("callbacks").create_index(["status", "due_at"])
    db.table("callbacks").create_index(["customer_id", "status"])


@migrations()
def m002_interaction_kind(db: sqlite_utils.Database) -> None:
    """``interactions.kind``: ``interaction`` or ``inquiry`` (an interaction that asks
    something), so the risk tags can count inquiries without reading ``events``."""
    db.table("interactions").add_column("kind", str)
    db.execute("UPDATE interactions SET kind = 'interaction' WHERE kind IS NULL")
    db.table("interactions").create_index(["customer_id", "kind", "at"])


@migrations()
def m003_field_times(db: sqlite_utils.Database) -> None:
    """``customers.field_times``: JSON, the event time each profile field (and each
    ``attrs`` key, as ``attrs.<key>``) was last set by, so a ``customer.updated``
    delivered late never overwrites what a newer one said."""
    db.table("customers").add_column("field_times", str)
