"""Campaigns, their contacts and the DNC list: functions of a SQLAlchemy ``Connection``
run by ``Database.run`` / ``run_sync``, one transaction each.

The HTTP API, the CLI (straight to the file for ``create`` and ``import``) and the
campaign runners all go through these. Dial-time reads and attempt results are in
``contacts.py``.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, select, update

from engine.dialer.campaigns import csvfile
from engine.dialer.campaigns.schema import attempts, campaigns, contacts, dnc
from engine.dialer.core.outcomes import FINAL, counts_abandoned
from engine.dialer.core.policy import CampaignPolicy, from_dict
from engine.errors import Conflict, InvalidRequest, NotFound
from engine.store.sql import first, insert, rows

KINDS = ("callback", "manual")
MODES = ("preview", "progressive", "predictive")
STATUSES = ("draft", "running", "paused", "stopped", "done")
TRANSITIONS = {
    "start": ("draft", "paused", "stopped", "done"),
    "pause": ("running",),
    "resume": ("paused",),
    "stop": ("draft", "running", "paused"),
}
TARGET = {"start": "running", "pause": "paused", "resume": "running", "stop": "stopped"}


def _decode(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {**row, "policy": json.loads(row.get("policy") or "{}")}


def create(
    db: Connection,
    name: str,
    kind: str,
    mode: str,
    queue: str,
    policy: CampaignPolicy,
    now: float,
) -> dict[str, Any]:
    if kind not in KINDS:
        raise InvalidRequest(f"kind must be one of {list(KINDS)}", field="kind", value=kind)
    if mode not in MODES:
        raise InvalidRequest(f"mode must be one of {list(MODES)}", field="mode", value=mode)
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidRequest(
            "name must be a non-empty string of at most 200 characters", field="name"
        )
    new_id = db.execute(
        campaigns.insert()
        .values(
            {
                "name": name.strip(),
                "kind": kind,
                "mode": mode,
                "status": "draft",
                "queue": queue,
                "policy": json.dumps(policy.as_dict()),
                "created_at": now,
                "updated_at": now,
            }
        )
        .returning(campaigns.c.id)
    ).scalar_one()
    return get(db, int(new_id))


def get(db: Connection, campaign_id: int) -> dict[str, Any]:
    row = first(db.execute(select(campaigns).where(campaigns.c.id == campaign_id)))
    if row is None:
        raise NotFound(f"no campaign {campaign_id}", campaign_id=campaign_id)
    return _decode(row) or {}


def policy_of(campaign: dict[str, Any]) -> CampaignPolicy:
    return from_dict(campaign["policy"])


def all_campaigns(db: Connection) -> list[dict[str, Any]]:
    return [_decode(r) or {} for r in rows(db.execute(select(campaigns).order_by(campaigns.c.id)))]


def running(db: Connection) -> list[dict[str, Any]]:
    query = (
        select(campaigns)
        .where(campaigns.c.status.in_(("running", "paused")))
        .order_by(campaigns.c.id)
    )
    return [_decode(r) or {} for r in rows(db.execute(query))]


def transition(db: Connection, campaign_id: int, action: str, now: float) -> dict[str, Any]:
    """start | pause | resume | stop, if the campaign's status allows it (409 if not)."""
    campaign = get(db, campaign_id)
    if campaign["status"] not in TRANSITIONS[action]:
        raise Conflict(
            f"campaign {campaign_id} cannot {action} while {campaign['status']}",
            campaign_id=campaign_id,
            status=campaign["status"],
        )
    fields: dict[str, Any] = {"status": TARGET[action], "updated_at": now}
    if action == "start":
        fields["started_at"] = now
    if action == "stop":
        fields["stopped_at"] = now
    db.execute(update(campaigns).where(campaigns.c.id == campaign_id).values(fields))
    return get(db, campaign_id)


def finish(db: Connection, campaign_id: int, now: float) -> None:
    db.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id, campaigns.c.status == "running")
        .values(status="done", stopped_at=now, updated_at=now)
    )


def import_csv(db: Connection, campaign_id: int, text: str, now: float) -> dict[str, Any]:
    """Add a CSV's good rows to a manual campaign; every bad row comes back with its line
    number and reason (also a number the campaign already has)."""
    campaign = get(db, campaign_id)
    if campaign["kind"] != "manual":
        raise Conflict(
            "only manual campaigns import CSV; callback campaigns take the "
            "profile store's callbacks",
            campaign_id=campaign_id,
        )
    if campaign["status"] in ("stopped", "done"):
        raise Conflict(f"campaign {campaign_id} is {campaign['status']}", campaign_id=campaign_id)
    rows, errors = csvfile.parse(text)
    have = set(
        db.execute(select(contacts.c.number).where(contacts.c.campaign_id == campaign_id))
        .scalars()
        .all()
    )
    fresh = []
    for row in rows:
        if row.number in have:
            errors.append(
                csvfile.LineError(
                    row.line, f"number {row.number} is already in campaign {campaign_id}"
                )
            )
            continue
        fresh.append(
            {
                "campaign_id": campaign_id,
                "customer_id": row.customer_id,
                "number": row.number,
                "timezone": row.timezone,
                "priority": row.priority,
                "name": row.name,
                "attempts": 0,
                "next_at": 0.0,
                "status": "pending",
                "added_at": now,
                "updated_at": now,
            }
        )
    if fresh:
        db.execute(contacts.insert(), fresh)
    errors.sort(key=lambda e: e.line)
    return {
        "campaign_id": campaign_id,
        "added": len(fresh),
        "skipped": len(errors),
        "errors": [e.as_dict() for e in errors],
    }


def add_dnc(db: Connection, numbers: list[str], reason: str, now: float) -> int:
    if numbers:
        stmt = insert(db, dnc)
        stmt = stmt.on_conflict_do_update(
            index_elements=["number"],
            set_={"added_at": stmt.excluded.added_at, "reason": stmt.excluded.reason},
        )
        db.execute(stmt, [{"number": n, "added_at": now, "reason": reason} for n in numbers])
    return len(numbers)


def progress(db: Connection, campaign_id: int, since: float) -> dict[str, Any]:
    """Contacts by status, attempts by outcome, and live answers / abandons since ``since``
    (the abandon window)."""
    c, a = contacts.c, attempts.c
    count = func.count()
    by_status: dict[str, int] = {
        status: n
        for status, n in db.execute(
            select(c.status, count).where(c.campaign_id == campaign_id).group_by(c.status)
        )
    }
    named = func.coalesce(a.intervention_outcome, "in-progress")
    outcomes: dict[str, int] = {
        outcome: n
        for outcome, n in db.execute(
            select(named, count).where(a.campaign_id == campaign_id).group_by(named)
        )
    }
    answers = db.execute(
        select(a.outcome, a.details).where(
            a.campaign_id == campaign_id, a.live == 1, a.answered_at >= since
        )
    ).all()
    live = len(answers)
    abandoned = sum(counts_abandoned(outcome, details) for outcome, details in answers)
    total = sum(by_status.values())
    final = sum(n for s, n in by_status.items() if s in FINAL)
    return {
        "contacts": {
            "total": total,
            "done": final,
            "pending": total - final,
            "by_status": by_status,
        },
        "attempts": {"total": sum(outcomes.values()), "by_outcome": outcomes},
        "abandon": {
            "live_answers": live,
            "abandoned": abandoned,
            "rate": round(abandoned / live, 4) if live else 0.0,
        },
    }
