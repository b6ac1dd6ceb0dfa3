"""Store side of proactive care (tables in ``schema.py``): the events the care rules
watch, the causes already served (a primary key makes "once per cause" hold even across
engine instances sharing the database), and the interventions that record every firing.
Every function here runs on the Database thread (``Database.run``), inside one
transaction.

Reads the profile store's ``customers`` table (opt-out, time zone) and writes its
``interventions`` table; both are the profile store's (``engine/profiles/schema.py``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, select, update

from engine.profiles.care.rules import CareEvent, CareRules, Customer, Decision, evaluate
from engine.profiles.care.schema import care_fired, care_seen
from engine.profiles.schema import customers, interventions
from engine.store.sql import first, rows

DAY = 86400.0
OPT_OUT_COLUMNS = ("opted_out", "prediction_opt_out", "opt_out", "optout")  # prediction
NO_CONTACT_COLUMNS = (*OPT_OUT_COLUMNS, "contact_opt_out")  # care contact
OUTCOMES = {
    "send": "pending",
    "deferred": "deferred-quiet-hours",
    "control": "control-not-contacted",
}


def customer(db: Connection, customer_id: str) -> Customer | None:
    """Opt-out and time zone from the profile store's customers table."""
    row = first(db.execute(select(customers).where(customers.c.id == customer_id)))
    if row is None:
        return None
    opted = any(bool(row.get(c)) for c in NO_CONTACT_COLUMNS)
    consent = row.get("consent")
    if isinstance(consent, str) and consent.lower() in ("opted-out", "opt-out", "withdrawn"):
        opted = True
    return Customer(customer_id, opted, row.get("timezone") or row.get("tz"))


def fire(
    db: Connection,
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
        seen = care_seen.c
        query = select(seen.type, seen.at, seen.data).where(
            seen.customer_id == customer_id,
            seen.type.in_(watched),
            seen.at >= event.at - window,
        )
        history = (
            [CareEvent(t, at, json.loads(data)) for t, at, data in db.execute(query)]
            if window
            else []
        )
        fired = [
            (r[0], r[1])
            for r in db.execute(
                select(care_fired.c.rule, care_fired.c.cause).where(
                    care_fired.c.customer_id == customer_id
                )
            )
        ]
        decisions = evaluate(rules, who, event, history, fired, now, new_code)
    if event.type in rules.remembered:
        db.execute(
            care_seen.insert().values(
                {
                    "customer_id": customer_id,
                    "type": event.type,
                    "at": event.at,
                    "data": json.dumps(dict(event.data)),
                }
            )
        )
    for d in decisions:
        status = d.status if arm == "treatment" else "control"
        db.execute(
            care_fired.insert().values(
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
        )
        _intervention(db, customer_id, d, now, status)
    return decisions


def _intervention(db: Connection, customer_id: str, d: Decision, now: float, status: str) -> None:
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
    db.execute(interventions.insert().values(row))


def due(db: Connection, now: float, limit: int = 100) -> list[dict[str, Any]]:
    """Treatment-arm decisions whose time has come (sent now or after quiet hours). Those
    of customers who opted out since are cancelled here, never delivered."""
    f = care_fired.c
    query = (
        select(care_fired)
        .where(f.status.in_(("send", "deferred")), f.due <= now)
        .order_by(f.due)
        .limit(limit)
    )
    out = []
    for row in rows(db.execute(query)):
        who = customer(db, row["customer_id"])
        if who is None or who.opted_out:
            key = (row["customer_id"], row["rule"], row["cause"])
            db.execute(update(care_fired).where(*_is(key)).values(status="cancelled-opt-out"))
        else:
            out.append(row)
    return out


def _is(key: tuple[str, str, str]) -> tuple[Any, ...]:
    f = care_fired.c
    return (f.customer_id == key[0], f.rule == key[1], f.cause == key[2])


def mark(
    db: Connection, key: tuple[str, str, str], status: str, now: float, error: str = ""
) -> None:
    db.execute(
        update(care_fired)
        .where(*_is(key))
        .values(
            status=status,
            attempts=care_fired.c.attempts + 1,
            delivered_at=now if status == "delivered" else None,
            error=error,
        )
    )


def retry_later(db: Connection, key: tuple[str, str, str], due_at: float, error: str) -> None:
    db.execute(
        update(care_fired)
        .where(*_is(key))
        .values(attempts=care_fired.c.attempts + 1, due=due_at, error=error)
    )


def prune(db: Connection, before: float) -> int:
    """Forget watched events older than any rule's window; returns how many."""
    return int(db.execute(delete(care_seen).where(care_seen.c.at < before)).rowcount)
