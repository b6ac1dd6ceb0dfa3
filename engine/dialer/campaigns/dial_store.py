"""Dial-time reads and attempt results (functions of a SQLAlchemy ``Connection``, one
transaction each).

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
from typing import Any

from sqlalchemy import Connection, exists, func, select, update

from engine.dialer.campaigns.schema import attempts, contacts, dnc
from engine.dialer.core.compliance import AttemptOutcome
from engine.dialer.core.ordering import callback_priority
from engine.dialer.core.outcomes import (
    FINAL,
    NextStep,
    after_attempt,
    counts_abandoned,
    intervention_outcome,
)
from engine.dialer.core.policy import CampaignPolicy
from engine.errors import NotFound
from engine.profiles.schema import callbacks, customers, interventions
from engine.store.sql import first, rows

A, C = attempts.c, contacts.c


def _customers(
    db: Connection,
    customer_ids: list[str],
) -> dict[str, tuple[bool, str, str]]:
    """customer_id -> (opted out of proactive contact, time zone, language) from
    ``customers``."""
    if not customer_ids:
        return {}
    k = customers.c
    query = select(k.id, k.contact_opt_out, k.prediction_opt_out, k.timezone, k.language).where(
        k.id.in_(customer_ids)
    )
    return {r[0]: (bool(r[1]) or bool(r[2]), r[3] or "", r[4] or "") for r in db.execute(query)}


def customer_language(db: Connection, customer_id: str | None) -> str | None:
    """The customer's profile language (``None``: unknown), e.g. for an adopted talk."""
    if not customer_id:
        return None
    return _customers(db, [customer_id]).get(customer_id, (False, "", ""))[2] or None


def candidates(
    db: Connection, campaign_id: int, now: float, limit: int = 500
) -> list[dict[str, Any]]:
    query = (
        select(contacts)
        .where(
            C.campaign_id == campaign_id,
            C.status == "pending",
            func.coalesce(C.next_at, 0) <= now,
        )
        .order_by(C.id)
        .limit(limit)
    )
    return _enrich(db, _callbacks_open(db, rows(db.execute(query)), now))


def _callbacks_open(
    db: Connection, found: list[dict[str, Any]], now: float
) -> list[dict[str, Any]]:
    """Rows whose callback was already made (by another campaign, on another box: the
    callback was synced into both) are done, not dialled again."""
    ids = sorted({r["callback_id"] for r in found if r.get("callback_id") is not None})
    if not ids:
        return found
    k = callbacks.c
    closed = set(db.execute(select(k.id).where(k.id.in_(ids), k.status != "pending")).scalars())
    for r in found:
        if r.get("callback_id") in closed:
            set_status(db, r["id"], "done", now, reason="callback-done")
    return [r for r in found if r.get("callback_id") not in closed]


def dialled_since(db: Connection, number: str, since: float) -> bool:
    """Was an attempt on ``number`` started or ended at ``since`` or later (by any
    campaign, on any engine sharing the store)? One in flight holds the number's claim;
    its outcome is written before the claim is let go."""
    query = (
        select(A.id)
        .where(A.number == number, (A.dialed_at >= since) | (A.ended_at >= since))
        .limit(1)
    )
    return db.execute(query).first() is not None


def _enrich(db: Connection, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not found:
        return found
    ids = [r["id"] for r in found]
    history: dict[int, list[tuple[float, str]]] = {}
    query = (
        select(A.contact_id, A.dialed_at, A.outcome)
        .where(A.contact_id.in_(ids), A.outcome.is_not(None))
        .order_by(A.dialed_at)
    )
    for cid, at, outcome in db.execute(query):
        history.setdefault(cid, []).append((at, outcome))
    # the rest after an abandoned call is the number's: abandoned attempts on it in any
    # other campaign, on any engine sharing the store, count too
    numbers = sorted({r["number"] for r in found})
    elsewhere: dict[str, list[tuple[float, str]]] = {}
    abandoned = select(A.number, A.dialed_at).where(
        A.number.in_(numbers), A.contact_id.not_in(ids), A.outcome == "abandoned"
    )
    for number, at in db.execute(abandoned).all():
        elsewhere.setdefault(number, []).append((at, "abandoned"))
    for r in found:
        if r["number"] in elsewhere:
            history[r["id"]] = sorted(history.get(r["id"], []) + elsewhere[r["number"]])
    customers_ = _customers(db, sorted({r["customer_id"] for r in found if r["customer_id"]}))
    blocked = set(db.execute(select(dnc.c.number).where(dnc.c.number.in_(numbers))).scalars())
    for r in found:
        opted, zone, language = customers_.get(r["customer_id"] or "", (False, "", ""))
        r["history"] = history.get(r["id"], [])
        r["opted_out"] = opted
        r["timezone"] = r["timezone"] or zone or None
        r["language"] = language or None  # the call is heard in it (None: the default)
        r["dnc"] = r["number"] in blocked
    return found


def set_status(
    db: Connection,
    contact_id: int,
    status: str,
    now: float,
    next_at: float | None = None,
    reason: str | None = None,
    agent_id: str | None = None,
) -> None:
    db.execute(
        update(contacts)
        .where(C.id == contact_id)
        .values(
            status=status,
            next_at=C.next_at if next_at is None else next_at,
            reason=reason,
            agent_id=agent_id,
            updated_at=now,
        )
    )
    if status in FINAL:
        _callback_done(db, contact_id, now)


def set_statuses(
    db: Connection, updates: list[tuple[int, str, float | None, str | None]], now: float
) -> None:
    """Many ``set_status`` at once: (contact id, status, next_at, reason)."""
    for contact_id, status, next_at, reason in updates:
        set_status(db, contact_id, status, now, next_at, reason)


def start_attempt(
    db: Connection,
    campaign_id: int,
    contact: dict[str, Any],
    channel_id: str,
    agent_id: str | None,
    now: float,
) -> int:
    new_id = db.execute(
        attempts.insert()
        .values(
            campaign_id=campaign_id,
            contact_id=contact["id"],
            customer_id=contact.get("customer_id"),
            number=contact["number"],
            channel_id=channel_id,
            agent_id=agent_id,
            dialed_at=now,
            live=0,
        )
        .returning(A.id)
    ).scalar_one()
    set_status(db, contact["id"], "dialing", now, agent_id=agent_id)
    return int(new_id)


def contact(db: Connection, campaign_id: int, contact_id: int) -> dict[str, Any]:
    """One contact with what compliance needs (as ``candidates`` gives them)."""
    found = rows(
        db.execute(select(contacts).where(C.campaign_id == campaign_id, C.id == contact_id))
    )
    if not found:
        raise NotFound(f"no contact {contact_id} in campaign {campaign_id}", contact_id=contact_id)
    return _enrich(db, found)[0]


def previewing(db: Connection, campaign_id: int, agent_id: str) -> dict[str, Any] | None:
    query = (
        select(contacts)
        .where(C.campaign_id == campaign_id, C.status == "previewing", C.agent_id == agent_id)
        .limit(1)
    )
    found = rows(db.execute(query))
    return _enrich(db, found)[0] if found else None


def answered(
    db: Connection,
    attempt_id: int,
    at: float,
    amd_status: str,
    amd_cause: str,
    live: bool,
) -> None:
    db.execute(
        update(attempts)
        .where(A.id == attempt_id)
        .values(answered_at=at, amd_status=amd_status, amd_cause=amd_cause, live=int(live))
    )


def finish_attempt(
    db: Connection,
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
    a = first(db.execute(select(attempts).where(A.id == attempt_id).with_for_update()))
    if a is None:
        raise NotFound(f"no attempt {attempt_id}", attempt_id=attempt_id)
    if a["outcome"] is not None:
        return NextStep("done")
    named = intervention_outcome(outcome, message_left)
    if details.get("amd") is None and a["amd_status"]:
        details["amd"], details["amd_cause"] = a["amd_status"], a["amd_cause"]
    agent = details.get("agent_id")
    db.execute(
        update(attempts)
        .where(A.id == attempt_id)
        .values(
            outcome=outcome,
            intervention_outcome=named,
            ended_at=now,
            ring_seconds=ring,
            agent_id=A.agent_id if agent is None else agent,
            details=json.dumps(details),
        )
    )
    row = first(db.execute(select(contacts).where(C.id == a["contact_id"]).with_for_update()))
    assert row is not None  # attempts.contact_id references contacts
    tries = int(row["attempts"] or 0) + 1
    step = after_attempt(outcome, tries, now, policy, message_left)
    db.execute(
        update(contacts)
        .where(C.id == row["id"])
        .values(attempts=tries, last_outcome=named, last_attempt_at=a["dialed_at"], updated_at=now)
    )
    set_status(
        db,
        row["id"],
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


def talk_ended(db: Connection, attempt_id: int, talk_seconds: float, now: float) -> None:
    db.execute(
        update(attempts).where(A.id == attempt_id).values(talk_seconds=talk_seconds, ended_at=now)
    )


def _intervention(
    db: Connection,
    attempt: dict[str, Any],
    kind: str,
    outcome: str,
    now: float,
    details: dict[str, Any],
) -> None:
    db.execute(
        interventions.insert().values(
            customer_id=attempt["customer_id"],
            kind="dialer:callback" if kind == "callback" else "dialer:campaign",
            at=attempt["dialed_at"],
            by=f"dialer:campaign-{attempt['campaign_id']}",
            outcome=outcome,
            outcome_at=now,
            details=json.dumps(
                {"campaign_id": attempt["campaign_id"], "attempt_id": attempt["id"], **details}
            ),
        )
    )


def _callback_done(db: Connection, contact_id: int, now: float) -> None:
    theirs = select(C.callback_id).where(C.id == contact_id).scalar_subquery()
    db.execute(
        update(callbacks)
        .where(callbacks.c.id == theirs, callbacks.c.status == "pending")
        .values(status="done", updated_at=now)
    )


def sync_callbacks(db: Connection, campaign_id: int, now: float) -> int:
    """Pending callbacks no campaign holds yet become this campaign's contacts."""
    cb = callbacks.c
    query = select(callbacks).where(
        cb.status == "pending",
        cb.number.is_not(None),
        ~exists().where(C.callback_id == cb.id),
    )
    found = rows(db.execute(query))
    if found:
        db.execute(
            contacts.insert(),
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
                for r in found
            ],
        )
    return len(found)


def recover(db: Connection, campaign_id: int, now: float) -> int:
    """After a restart: attempts left open are ``failed``, their contacts pending again."""
    cur = db.execute(
        update(attempts)
        .where(A.campaign_id == campaign_id, A.outcome.is_(None))
        .values(
            outcome="failed",
            intervention_outcome="failed",
            ended_at=now,
            details='{"why": "engine-restart"}',
        )
    )
    db.execute(
        update(contacts)
        .where(C.campaign_id == campaign_id, C.status.in_(("dialing", "previewing")))
        .values(status="pending", agent_id=None, updated_at=now)
    )
    return int(cur.rowcount)


def live_answers(db: Connection, campaign_id: int, since: float) -> list[tuple[float, bool, str]]:
    """(answered_at, abandoned, number) of every live answer since ``since``, oldest first:
    what the abandon guard replays after a restart. A verdict learnt late (the event
    socket was down) counts as abandoned, as the guard counted it."""
    query = (
        select(A.answered_at, A.outcome, A.details, A.number)
        .where(
            A.campaign_id == campaign_id,
            A.live == 1,
            A.answered_at >= since,
            A.outcome.is_not(None),
        )
        .order_by(A.answered_at, A.id)
    )
    return [
        (float(at), counts_abandoned(outcome, details), number)
        for at, outcome, details, number in db.execute(query)
    ]
