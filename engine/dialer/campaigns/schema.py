"""The dialer's tables in SQLite (``Migrations("dialer")``, applied at engine start).

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

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("dialer")


@migrations()
def m001_dialer(db: sqlite_utils.Database) -> None:
    db.table("campaigns").create(
        {
            "id": int,
            "name": str,
            "kind": str,
            "mode": str,
            "status": str,
            "queue": str,
            "policy": str,
            "created_at": float,
            "started_at": float,
            "stopped_at": float,
            "updated_at": float,
        },
        pk="id",
    )
    db.table("contacts").create(
        {
            "id": int,
            "campaign_id": int,
            "customer_id": str,
            "number": str,
            "timezone": str,
            "priority": float,
            "name": str,
            "due_at": float,
            "callback_id": int,
            "attempts": int,
            "last_outcome": str,
            "last_attempt_at": float,
            "next_at": float,
            "status": str,
            "reason": str,
            "agent_id": str,
            "added_at": float,
            "updated_at": float,
        },
        pk="id",
        foreign_keys=[("campaign_id", "campaigns", "id")],
        defaults={"attempts": 0, "priority": 0.0, "next_at": 0.0, "status": "pending"},
    )
    db.table("contacts").create_index(["campaign_id", "status", "next_at"])
    db.table("contacts").create_index(["campaign_id", "number"])
    db.table("contacts").create_index(["campaign_id", "callback_id"], unique=True)
    db.table("attempts").create(
        {
            "id": int,
            "campaign_id": int,
            "contact_id": int,
            "customer_id": str,
            "number": str,
            "channel_id": str,
            "agent_id": str,
            "dialed_at": float,
            "answered_at": float,
            "amd_status": str,
            "amd_cause": str,
            "live": int,
            "outcome": str,
            "intervention_outcome": str,
            "ring_seconds": float,
            "talk_seconds": float,
            "ended_at": float,
            "details": str,
        },
        pk="id",
        foreign_keys=[("campaign_id", "campaigns", "id"), ("contact_id", "contacts", "id")],
    )
    db.table("attempts").create_index(["campaign_id", "outcome"])
    db.table("attempts").create_index(["campaign_id", "live", "answered_at"])
    db.table("attempts").create_index(["contact_id"])
    db.table("dnc").create({"number": str, "added_at": float, "reason": str}, pk="number")
