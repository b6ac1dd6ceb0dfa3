"""Dial-time reads and attempt results in SQLite (database-thread functions).

- ``candidates``: a campaign's contacts that may be due, with what compliance needs:
  their attempts, the customer's opt-outs (profile store ``customers``), DNC hits;
- ``start_attempt`` / ``answered`` / ``finish_attempt``: every dial and its outcome, in
  ``attempts``; the contact's next status (``outcomes.after_attempt``); an intervention
  on the customer (profile store ``interventions``: ``dialer:callback`` or
  ``dialer:campaign``); a finished callback row marked ``done``;
- ``sync_callbacks``: the profile store's pending high-risk ``callbacks`` -> contacts.
"""

from __future__ import annotations

import json
from typing import Any, cast

import sqlite_utils

from engine.dialer.core.compliance import AttemptOutcome
from engine.dialer.core.ordering import callback_priority
from engine.dialer.core.outcomes import (
    ABANDONED_SQL,
    FINAL,
    NextStep,
    after_attempt,
    intervention_outcome,
)
from engine.dialer.core.policy import CampaignPolicy
from engine.errors import NotFound

OPT_OUTS = ("contact_opt_out", "prediction_opt_out", "opted_out")


def _customers(
    db: sqlite_utils.Database,
    customer_ids: list[str],
) -> dict[str, tuple[bool, str, str]]:
    """customer_id -> (opted out of proactive contact, time zone, language) from
    ``customers``."""
    table = db.table("customers")
    if not customer_ids or not table.exists():
        return {}
    cols = set(table.columns_dict)
    flags = " OR ".join(f"coalesce({c}, 0) = 1" for c in OPT_OUTS if c in cols) or "0"
    zone = "timezone" if "timezone" in cols else "NULL"
    lang = "language" if "language" in cols else "NULL"
    marks = ",".join("?" * len(customer_ids))
    rows = db.conn.execute(
        f"SELECT id, ({flags}), {zone}, {lang} FROM customers WHERE id IN ({marks})", customer_ids
    ).fetchall()
    return {r[0]: (bool(r[1]), r[2] or "", r[3] or "") for r in rows}


def customer_language(db: sqlite_utils.Database, customer_id: str | None) -> str | None:
    """The customer's profile language (``None``: unknown), e.g. for an adopted talk."""
    if not customer_id:
        return None
    return _customers(db, [customer_id]).get(customer_id, (False, "", ""))[2] or None


def candidates(
    db: sqlite_utils.Database, campaign_id: int, now: float, limit: int = 500
) -> list[dict[str, Any]]:
    rows = list(
        db.query(
            "SELECT * FROM contacts WHERE campaign_id = ? AND status = 'pending' AND "
            "coalesce(next_at, 0) <= ? ORDER BY id LIMIT ?",
            [campaign_id, now, limit],
        )
    )
    return _enrich(db, _callbacks_open(db, rows, now))


def _callbacks_open(
    db: sqlite_utils.Database, rows: list[dict[str, Any]], now: float
) -> list[dict[str, Any]]:
    """Rows whose callback was already made (by another campaign, on another box: the
    callback was synced into both) are done, not dialled again."""
    ids = sorted({r["callback_id"] for r in rows if r.get("callback_id") is not None})
    if not ids or not db["callbacks"].exists():
        return rows
    marks = ",".join("?" * len(ids))
    closed = {
        r[0]
        for r in db.conn.execute(
            f"SELECT id FROM callbacks WHERE id IN ({marks}) AND status != 'pending'", ids
        )
    }
    for r in rows:
        if r.get("callback_id") in closed:
            set_status(db, r["id"], "done", now, reason="callback-done")
    return [r for r in rows if r.get("callback_id") not in closed]


def dialled_since(db: sqlite_utils.Database, number: str, since: float) -> bool:
    """Was an attempt on ``number`` started or ended at ``since`` or later (by any
    campaign, on any engine sharing the store)? One in flight holds the number's claim;
    its outcome is written before the claim is let go."""
    return (
        db.conn.execute(
            "SELECT 1 FROM attempts WHERE number = ? AND "
            "max(dialed_at, coalesce(ended_at, 0)) >= ? LIMIT 1",
            [number, since],
        ).fetchone()
        is not None
    )


def _enrich(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rows:
        return rows
    ids = [r["id"] for r in rows]
    marks = ",".join("?" * len(ids))
    history: dict[int, list[tuple[float, str]]] = {}
    for cid, at, outcome in db.conn.execute(
        f"SELECT contact_id, dialed_at, outcome FROM attempts WHERE contact_id IN ({marks}) "
        "AND outcome IS NOT NULL ORDER BY dialed_at",
        ids,
    ):
        history.setdefault(cid, []).append((at, outcome))
    # the rest after an abandoned call is the number's: abandoned attempts on it in any
    # other campaign, on any engine sharing the store, count too
    numbers = sorted({r["number"] for r in rows})
    nmarks = ",".join("?" * len(numbers))
    elsewhere: dict[str, list[tuple[float, str]]] = {}
    for number, at in db.conn.execute(
        f"SELECT number, dialed_at FROM attempts WHERE number IN ({nmarks}) AND contact_id "
        f"NOT IN ({marks}) AND outcome = 'abandoned'",
        [*numbers, *ids],
    ):
        elsewhere.setdefault(number, []).append((at, "abandoned"))
    for r in rows:
        if r["number"] in elsewhere:
            history[r["id"]] = sorted(history.get(r["id"], []) + elsewhere[r["number"]])
    customers = _customers(db, sorted({r["customer_id"] for r in rows if r["customer_id"]}))
    dnc = {
        r[0] for r in db.conn.execute(f"SELECT number FROM dnc WHERE number IN ({nmarks})", numbers)
    }
    for r in rows:
        opted, zone, language = customers.get(r["customer_id"] or "", (False, "", ""))
        r["history"] = history.get(r["id"], [])
        r["opted_out"] = opted
        r["timezone"] = r["timezone"] or zone or None
        r["language"] = language or None  # the call is heard in it (None: the default)
        r["dnc"] = r["number"] in dnc
    return rows


def set_status(
    db: sqlite_utils.Database,
    contact_id: int,
    status: str,
    now: float,
    next_at: float | None = None,
    reason: str | None = None,
    agent_id: str | None = None,
) -> None:
    db.conn.execute(
        "UPDATE contacts SET status = ?, next_at = coalesce(?, next_at), "
        "reason = ?, agent_id = ?, updated_at = ? WHERE id = ?",
        [status, next_at, reason, agent_id, now, contact_id],
    )
    if status in FINAL:
        _callback_done(db, contact_id, now)


def set_statuses(
    db: sqlite_utils.Database, updates: list[tuple[int, str, float | None, str | None]], now: float
) -> None:
    """Many ``set_status`` at once: (contact id, status, next_at, reason)."""
    for contact_id, status, next_at, reason in updates:
        set_status(db, contact_id, status, now, next_at, reason)


def start_attempt(
    db: sqlite_utils.Database,
    campaign_id: int,
    contact: dict[str, Any],
    channel_id: str,
    agent_id: str | None,
    now: float,
) -> int:
    table = db.table("attempts")
    table.insert(
        {
            "campaign_id": campaign_id,
            "contact_id": contact["id"],
            "customer_id": contact.get("customer_id"),
            "number": contact["number"],
            "channel_id": channel_id,
            "agent_id": agent_id,
            "dialed_at": now,
            "live": 0,
        }
    )
    set_status(db, contact["id"], "dialing", now, agent_id=agent_id)
    return int(cast(int, table.last_pk))


def contact(db: sqlite_utils.Database, campaign_id: int, contact_id: int) -> dict[str, Any]:
    """One contact with what compliance needs (as ``candidates`` gives them)."""
    rows = list(
        db.query(
            "SELECT * FROM contacts WHERE campaign_id = ? AND id = ?", [campaign_id, contact_id]
        )
    )
    if not rows:
        raise NotFound(f"no contact {contact_id} in campaign {campaign_id}", contact_id=contact_id)
    return _enrich(db, rows)[0]


def previewing(db: sqlite_utils.Database, campaign_id: int, agent_id: str) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT * FROM contacts WHERE campaign_id = ? AND status = "
            "'previewing' AND agent_id = ? LIMIT 1",
            [campaign_id, agent_id],
        )
    )
    return _enrich(db, rows)[0] if rows else None


def answered(
    db: sqlite_utils.Database,
    attempt_id: int,
    at: float,
    amd_status: str,
    amd_cause: str,
    live: bool,
) -> None:
    db.conn.execute(
        "UPDATE attempts SET answered_at = ?, amd_status = ?, amd_cause = ?, live = ? WHERE id = ?",
        [at, amd_status, amd_cause, int(live), attempt_id],
    )


def finish_attempt(
    db: sqlite_utils.Database,
    kind: str,
    attempt_id: int,
    outcome: AttemptOutcome,
    now: float,
    policy: CampaignPolicy,
    message_left: bool = False,
    details: dict[str, Any] | None = None,
) -> NextStep:
    """Record the attempt's outcome once; returns the contact's next step. ``details``
    (ring_seconds, agent_id, amd...) go to the attempt and the intervention."""
    details = dict(details or {})
    ring = details.pop("ring_seconds", None)
    a = next(iter(db.query("SELECT * FROM attempts WHERE id = ?", [attempt_id])))
    if a["outcome"] is not None:
        return NextStep("done")
    named = intervention_outcome(outcome, message_left)
    if details.get("amd") is None and a["amd_status"]:
        details["amd"], details["amd_cause"] = a["amd_status"], a["amd_cause"]
    db.conn.execute(
        "UPDATE attempts SET outcome = ?, intervention_outcome = ?, ended_at = ?, "
        "ring_seconds = ?, agent_id = coalesce(?, agent_id), details = ? "
        "WHERE id = ?",
        [outcome, named, now, ring, details.get("agent_id"), json.dumps(details), attempt_id],
    )
    contact = next(iter(db.query("SELECT * FROM contacts WHERE id = ?", [a["contact_id"]])))
    tries = int(contact["attempts"] or 0) + 1
    step = after_attempt(outcome, tries, now, policy, message_left)
    db.conn.execute(
        "UPDATE contacts SET attempts = ?, last_outcome = ?, last_attempt_at = ?, "
        "updated_at = ? WHERE id = ?",
        [tries, named, a["dialed_at"], now, contact["id"]],
    )
    set_status(
        db,
        contact["id"],
        step.status,
        now,
        step.next_at,
        None if step.status == "pending" else named,
    )
    if a["customer_id"]:
        _intervention(
            db,
            a,
            kind,
            named,
            now,
            {**details, "attempt": tries, "number": a["number"], "ring_seconds": ring},
        )
    return step


def talk_ended(db: sqlite_utils.Database, attempt_id: int, talk_seconds: float, now: float) -> None:
    db.conn.execute(
        "UPDATE attempts SET talk_seconds = ?, ended_at = ? WHERE id = ?",
        [talk_seconds, now, attempt_id],
    )


def _intervention(
    db: sqlite_utils.Database,
    attempt: dict[str, Any],
    kind: str,
    outcome: str,
    now: float,
    details: dict[str, Any],
) -> None:
    row = {
        "customer_id": attempt["customer_id"],
        "kind": "dialer:callback" if kind == "callback" else "dialer:campaign",
        "at": attempt["dialed_at"],
        "by": f"dialer:campaign-{attempt['campaign_id']}",
        "outcome": outcome,
        "outcome_at": now,
        "details": json.dumps(
            {"campaign_id": attempt["campaign_id"], "attempt_id": attempt["id"], **details}
        ),
    }
    table = db.table("interventions")
    if table.exists():
        cols = set(table.columns_dict)
        row = {k: v for k, v in row.items() if k in cols}
    table.insert(row, alter=not table.exists())


def _callback_done(db: sqlite_utils.Database, contact_id: int, now: float) -> None:
    if not db["callbacks"].exists():
        return
    db.conn.execute(
        "UPDATE callbacks SET status = 'done', updated_at = ? WHERE id = "
        "(SELECT callback_id FROM contacts WHERE id = ?) AND status = 'pending'",
        [now, contact_id],
    )


def sync_callbacks(db: sqlite_utils.Database, campaign_id: int, now: float) -> int:
    """Pending callbacks no campaign holds yet become this campaign's contacts."""
    if not db["callbacks"].exists():
        return 0
    rows = list(
        db.query(
            "SELECT * FROM callbacks cb WHERE status = 'pending' AND number IS NOT NULL AND NOT "
            "EXISTS (SELECT 1 FROM contacts c WHERE c.callback_id = cb.id)"
        )
    )
    db.table("contacts").insert_all(
        [
            {
                "campaign_id": campaign_id,
                "customer_id": r["customer_id"],
                "number": r["number"],
                "priority": r["priority"]
                if r.get("priority") is not None
                else callback_priority(r.get("score"), r.get("value")),
                "due_at": r["due_at"],
                "callback_id": r["id"],
                "attempts": 0,
                "next_at": 0.0,
                "status": "pending",
                "added_at": now,
                "updated_at": now,
            }
            for r in rows
        ]
    )
    return len(rows)


def recover(db: sqlite_utils.Database, campaign_id: int, now: float) -> int:
    """After a restart: attempts left open are ``failed``, their contacts pending again."""
    open_ids = [
        r[0]
        for r in db.conn.execute(
            "SELECT id FROM attempts WHERE campaign_id = ? AND outcome IS NULL", [campaign_id]
        )
    ]
    db.conn.execute(
        "UPDATE attempts SET outcome = 'failed', intervention_outcome = 'failed', "
        'ended_at = ?, details = \'{"why": "engine-restart"}\' WHERE campaign_id '
        "= ? AND outcome IS NULL",
        [now, campaign_id],
    )
    db.conn.execute(
        "UPDATE contacts SET status = 'pending', agent_id = NULL, updated_at = ? "
        "WHERE campaign_id = ? AND status IN ('dialing', 'previewing')",
        [now, campaign_id],
    )
    return len(open_ids)


def live_answers(
    db: sqlite_utils.Database, campaign_id: int, since: float
) -> list[tuple[float, bool, str]]:
    """(answered_at, abandoned, number) of every live answer since ``since``, oldest first:
    what the abandon guard replays after a restart. A verdict learnt late (the event
    socket was down) counts as abandoned, as the guard counted it."""
    return [
        (float(at), bool(abandoned), number)
        for at, abandoned, number in db.conn.execute(
            f"SELECT answered_at, {ABANDONED_SQL}, number FROM attempts WHERE campaign_id = ? "
            "AND live = 1 AND answered_at >= ? AND outcome IS NOT NULL ORDER BY answered_at",
            [campaign_id, since],
        )
    ]
