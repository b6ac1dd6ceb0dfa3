"""SQLite side of proactive care (tables in ``schema.py``): the events the care rules
watch, the causes already served (a primary key makes "once per cause" hold even across
engine instances sharing the file), and the interventions that record every firing.
Every function here runs on the Database thread (``Database.run``), inside one
transaction.

Reads the profile store's ``customers`` table (opt-out, time zone) and writes its
``interventions`` table; both are the profile store's (``engine/profiles/schema.py``).
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from engine.profiles.care.rules import CareEvent, CareRules, Customer, Decision, evaluate

DAY = 86400.0
OPT_OUT_COLUMNS = ("opted_out", "prediction_opt_out", "opt_out", "optout")  # prediction
NO_CONTACT_COLUMNS = (*OPT_OUT_COLUMNS, "contact_opt_out")  # care contact
OUTCOMES = {
    "send": "pending",
    "deferred": "deferred-quiet-hours",
    "control": "control-not-contacted",
}


def customer(db: sqlite_utils.Database, customer_id: str) -> Customer | None:
    """Opt-out and time zone from the profile store's customers table."""
    if not db["customers"].exists():
        return Customer(customer_id)
    row = next(db.query("SELECT * FROM customers WHERE id = ?", [customer_id]), None)
    if row is None:
        return None
    opted = any(bool(row.get(c)) for c in NO_CONTACT_COLUMNS)
    consent = row.get("consent")
    if isinstance(consent, str) and consent.lower() in ("opted-out", "opt-out", "withdrawn"):
        opted = True
    return Customer(customer_id, opted, row.get("timezone") or row.get("tz"))


def fire(
    db: sqlite_utils.Database,
    rules: CareRules,
    customer_id: str,
    event: CareEvent,
    now: float,
    arm: str,
    new_code: Any,
) -> list[Decision]:
    """Evaluate ``event`` for its customer, remember what fired and the event itself.
    Returns the decisions that fired now (each cause only ever once)."""
    who = customer(db, customer_id)
    if who is None:
        return []
    relevant = [r for r in rules.rules if r.on == event.type]
    decisions: list[Decision] = []
    if relevant:
        window = max((r.within_days for r in relevant), default=0.0) * DAY
        watched = sorted({t for r in relevant for t in r.watched})
        marks = ",".join("?" * len(watched))
        history = (
            [
                CareEvent(r["type"], r["at"], json.loads(r["data"]))
                for r in db.query(
                    "SELECT type, at, data FROM care_seen"
                    f" WHERE customer_id = ? AND type IN ({marks}) AND at >= ?",
                    [customer_id, *watched, event.at - window],
                )
            ]
            if window
            else []
        )
        fired = [
            (r["rule"], r["cause"])
            for r in db.query(
                "SELECT rule, cause FROM care_fired WHERE customer_id = ?", [customer_id]
            )
        ]
        decisions = evaluate(rules, who, event, history, fired, now, new_code)
    if event.type in rules.remembered:
        db.table("care_seen").insert(
            {
                "customer_id": customer_id,
                "type": event.type,
                "at": event.at,
                "data": json.dumps(dict(event.data)),
            }
        )
    for d in decisions:
        status = d.status if arm == "treatment" else "control"
        db.table("care_fired").insert(
            {
                "customer_id": customer_id,
                "rule": d.rule,
                "cause": d.cause,
                "at": now,
                "action": d.action,
                "channel": d.channel,
                "message": d.message,
                "offer": json.dumps(dict(d.offer)),
                "status": status,
                "due": d.due,
                "arm": arm,
                "attempts": 0,
            }
        )
        _intervention(db, customer_id, d, now, status)
    return decisions


def _intervention(
    db: sqlite_utils.Database, customer_id: str, d: Decision, now: float, status: str
) -> None:
    """One row in the profile store's interventions table (created if it is not there)."""
    details = {
        "rule": d.rule,
        "cause": d.cause,
        "channel": d.channel,
        "message": d.message,
        "offer": dict(d.offer),
        "due": d.due,
    }
    row: dict[str, Any] = {
        "customer_id": customer_id,
        "kind": f"care:{d.action}",
        "at": now,
        "by": f"care:{d.rule}",
        "outcome": OUTCOMES[status],
        "details": json.dumps(details),
    }
    table = db.table("interventions")
    if table.exists():
        cols = set(table.columns_dict)
        row = {k: v for k, v in row.items() if k in cols}
    table.insert(row, alter=not table.exists())


def due(db: sqlite_utils.Database, now: float, limit: int = 100) -> list[dict[str, Any]]:
    """Treatment-arm decisions whose time has come (sent now or after quiet hours). Those
    of customers who opted out since are cancelled here, never delivered."""
    rows = list(
        db.query(
            "SELECT * FROM care_fired WHERE status IN ('send', 'deferred') AND due <= ? "
            "ORDER BY due LIMIT ?",
            [now, limit],
        )
    )
    out = []
    for row in rows:
        who = customer(db, row["customer_id"])
        if who is None or who.opted_out:
            db.execute(
                "UPDATE care_fired SET status = 'cancelled-opt-out' WHERE "
                "customer_id = ? AND rule = ? AND cause = ?",
                [row["customer_id"], row["rule"], row["cause"]],
            )
        else:
            out.append(row)
    return out


def mark(
    db: sqlite_utils.Database, key: tuple[str, str, str], status: str, now: float, error: str = ""
) -> None:
    db.execute(
        "UPDATE care_fired SET status = ?, attempts = attempts + 1, delivered_at = ?, "
        "error = ? WHERE customer_id = ? AND rule = ? AND cause = ?",
        [status, now if status == "delivered" else None, error, *key],
    )


def retry_later(
    db: sqlite_utils.Database, key: tuple[str, str, str], due_at: float, error: str
) -> None:
    db.execute(
        "UPDATE care_fired SET attempts = attempts + 1, due = ?, error = ? "
        "WHERE customer_id = ? AND rule = ? AND cause = ?",
        [due_at, error, *key],
    )


def prune(db: sqlite_utils.Database, before: float) -> int:
    """Forget watched events older than any rule's window; returns how many."""
    return db.execute("DELETE FROM care_seen WHERE at < ?", [before]).rowcount
