"""Campaigns, their contacts and the DNC list in SQLite: the functions that run on the
database thread (``Database.run`` / ``run_sync``), one transaction each.

The HTTP API, the CLI (straight to the file for ``create`` and ``import``) and the
campaign runners all go through these. Dial-time reads and attempt results are in
``contacts.py``.
"""

from __future__ import annotations

import json
from typing import Any, cast

import sqlite_utils

from engine.dialer.campaigns import csvfile
from engine.dialer.core.outcomes import ABANDONED_SQL, FINAL
from engine.dialer.core.policy import CampaignPolicy, from_dict
from engine.errors import Conflict, InvalidRequest, NotFound

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
    db: sqlite_utils.Database,
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
    table = db.table("campaigns")
    table.insert(
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
    return get(db, int(cast(int, table.last_pk)))


def get(db: sqlite_utils.Database, campaign_id: int) -> dict[str, Any]:
    rows = list(db.query("SELECT * FROM campaigns WHERE id = ?", [campaign_id]))
    if not rows:
        raise NotFound(f"no campaign {campaign_id}", campaign_id=campaign_id)
    return _decode(rows[0]) or {}


def policy_of(campaign: dict[str, Any]) -> CampaignPolicy:
    return from_dict(campaign["policy"])


def all_campaigns(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return [_decode(r) or {} for r in db.query("SELECT * FROM campaigns ORDER BY id")]


def running(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return [
        _decode(r) or {}
        for r in db.query(
            "SELECT * FROM campaigns WHERE status IN ('running', 'paused') ORDER BY id"
        )
    ]


def transition(
    db: sqlite_utils.Database, campaign_id: int, action: str, now: float
) -> dict[str, Any]:
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
    db.table("campaigns").update(campaign_id, fields)
    return get(db, campaign_id)


def finish(db: sqlite_utils.Database, campaign_id: int, now: float) -> None:
    db.conn.execute(
        "UPDATE campaigns SET status = 'done', stopped_at = ?, updated_at = ? "
        "WHERE id = ? AND status = 'running'",
        [now, now, campaign_id],
    )


def import_csv(
    db: sqlite_utils.Database, campaign_id: int, text: str, now: float
) -> dict[str, Any]:
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
    have = {
        r["number"]
        for r in db.query("SELECT number FROM contacts WHERE campaign_id = ?", [campaign_id])
    }
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
        db.table("contacts").insert_all(fresh)
    errors.sort(key=lambda e: e.line)
    return {
        "campaign_id": campaign_id,
        "added": len(fresh),
        "skipped": len(errors),
        "errors": [e.as_dict() for e in errors],
    }


def add_dnc(db: sqlite_utils.Database, numbers: list[str], reason: str, now: float) -> int:
    db.table("dnc").upsert_all(
        [{"number": n, "added_at": now, "reason": reason} for n in numbers], pk="number"
    )
    return len(numbers)


def progress(db: sqlite_utils.Database, campaign_id: int, since: float) -> dict[str, Any]:
    """Contacts by status, attempts by outcome, and live answers / abandons since ``since``
    (the abandon window)."""
    by_status = dict(
        db.conn.execute(
            "SELECT status, count(*) FROM contacts WHERE campaign_id = ? GROUP BY status",
            [campaign_id],
        ).fetchall()
    )
    outcomes = dict(
        db.conn.execute(
            "SELECT coalesce(intervention_outcome, 'in-progress'), count(*) FROM attempts "
            "WHERE campaign_id = ? GROUP BY 1",
            [campaign_id],
        ).fetchall()
    )
    live, abandoned = db.conn.execute(
        f"SELECT count(*), coalesce(sum({ABANDONED_SQL}), 0) FROM attempts "
        "WHERE campaign_id = ? AND live = 1 AND answered_at >= ?",
        [campaign_id, since],
    ).fetchone()
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
