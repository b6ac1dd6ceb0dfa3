"""Store side of real-time risk: re-score a set of customers in one transaction on the
Database thread (read their rows, tag, score, write ``risk``; on a tier change write
``risk_changes``, apply the outreach policy and record it as an intervention), and the
queue of outreach webhooks (table ``risk_outreach``, migration set ``profiles-risk``, in
``schema.py``).

Customers who opted out of prediction get no score: their ``risk`` row is deleted, and
their pending callbacks and queued messages are cancelled (``cancelled-opt-out``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from engine.profiles.risk import outreach
from engine.profiles.risk.config import RiskConfig
from engine.profiles.risk.facts import Facts, facts_of, features_of, read_rows
from engine.profiles.risk.schema import risk_outreach
from engine.profiles.risk.score import Model, Score, score
from engine.profiles.risk.tags import evaluate
from engine.profiles.schema import (
    callbacks,
    contact_points,
    customers,
    interventions,
    risk,
    risk_changes,
)
from engine.store.sql import insert, rows

BY = "risk-policy"
MAX_IDS = 5000  # customers per statement


@dataclass(frozen=True)
class Policy:
    """What re-scoring needs besides the rows: all pure values or functions."""

    config: RiskConfig
    model: Model
    arm_of: Callable[[str], str]
    due_hours: float = 24.0


@dataclass(frozen=True)
class Change:
    customer_id: str
    old_tier: str | None
    score: Score
    decision: outreach.Decision | None


def _contact(
    db: Connection,
    facts: Facts,
    name: str,
    language: str | None,
) -> outreach.Contact:
    cp = contact_points.c
    query = (
        select(cp.kind, cp.value)
        .where(cp.customer_id == facts.customer_id, cp.kind.in_(("phone", "email")))
        .order_by(cp.added_at)
    )
    points = {kind: value for kind, value in db.execute(query)}
    return outreach.Contact(
        facts.customer_id,
        name,
        language,
        points.get("phone"),
        points.get("email"),
        facts.contact_opt_out,
        sum(a for _, a in facts.orders),
    )


def _forget(db: Connection, customer_id: str) -> None:
    db.execute(delete(risk).where(risk.c.customer_id == customer_id))
    for table in (callbacks, risk_outreach):
        db.execute(
            update(table)
            .where(table.c.customer_id == customer_id, table.c.status == "pending")
            .values(status="cancelled-opt-out")
        )


def _apply(db: Connection, d: outreach.Decision, customer_id: str, arm: str, now: float) -> None:
    intervention_id = db.execute(
        interventions.insert()
        .values(
            customer_id=customer_id,
            kind=d.intervention_kind,
            at=now,
            by=BY,
            outcome=d.outcome,
            arm=arm,
            details=json.dumps(dict(d.details)),
        )
        .returning(interventions.c.id)
    ).scalar_one()
    if d.callback is not None:
        db.execute(callbacks.insert().values(dict(d.callback)))
    if d.webhook is not None:
        db.execute(
            risk_outreach.insert().values(
                {
                    "customer_id": customer_id,
                    "kind": d.kind,
                    "status": "pending",
                    "attempts": 0,
                    "body": json.dumps(dict(d.webhook), ensure_ascii=False),
                    "due": now,
                    "created_at": now,
                    "intervention_id": intervention_id,
                }
            )
        )


def rescore(
    db: Connection, customer_ids: Iterable[str], policy: Policy, now: float
) -> list[Change]:
    """Re-score these customers as of ``now``; returns their tier changes. A risk row is
    rewritten only when something in it changed (``scored_at``: when it last changed)."""
    ids = list(dict.fromkeys(customer_ids))
    if len(ids) > MAX_IDS:
        return [
            c
            for i in range(0, len(ids), MAX_IDS)
            for c in rescore(db, ids[i : i + MAX_IDS], policy, now)
        ]
    if not ids:
        return []
    rows = read_rows(db, ids)
    r_, cb = risk.c, callbacks.c
    old = {
        r[0]: tuple(r[1:])
        for r in db.execute(
            select(r_.customer_id, r_.score, r_.tier, r_.tags, r_.reasons, r_.model).where(
                r_.customer_id.in_(ids)
            )
        )
    }
    pending = {
        cid: n
        for cid, n in db.execute(
            select(cb.customer_id, func.count())
            .where(cb.status == "pending", cb.customer_id.in_(ids))
            .group_by(cb.customer_id)
        )
    }
    config, changes, upserts = policy.config, [], []
    for cid in ids:
        r = rows.get(cid)
        if not r or not r.get("customer"):
            continue
        facts = facts_of(r, cid, now)
        if facts.opted_out:
            _forget(db, cid)
            continue
        tags = evaluate(config.tags, facts, now, config.words)
        s = score(tags, features_of(facts, now), policy.model, config.tiers)
        row = (
            cid,
            s.score,
            s.tier,
            json.dumps(list(tags)),
            json.dumps(s.reasons_json(), ensure_ascii=False),
            s.model,
            now,
        )
        before = old.get(cid)
        if before != row[1:6]:  # unchanged rows are not rewritten
            upserts.append(row)
        was = before[1] if before else None
        if was == s.tier or (was is None and s.tier == "low"):
            continue
        db.execute(
            risk_changes.insert().values(
                customer_id=cid,
                at=now,
                old_tier=was,
                new_tier=s.tier,
                score=s.score,
                reasons=row[4],
            )
        )
        customer = r["customer"][0]
        who = _contact(db, facts, str(customer.get("name") or ""), customer.get("language"))
        arm = policy.arm_of(cid)
        decision = outreach.decide(
            was, s, who, arm, bool(pending.get(cid)), now, policy.due_hours, config.outreach
        )
        if decision is not None:
            _apply(db, decision, cid, arm, now)
        changes.append(Change(cid, was, s, decision))
    if upserts:
        names = ("customer_id", "score", "tier", "tags", "reasons", "model", "scored_at")
        stmt = insert(db, risk)
        stmt = stmt.on_conflict_do_update(
            index_elements=["customer_id"], set_={n: stmt.excluded[n] for n in names[1:]}
        )
        db.execute(stmt, [dict(zip(names, u, strict=True)) for u in upserts])
    return changes


def customer_ids(db: Connection, after: str, limit: int, unscored_only: bool = False) -> list[str]:
    """The next ``limit`` customer IDs after ``after`` (for the sweep); only those without
    a risk row when ``unscored_only``."""
    c = customers.c
    query = select(c.id).where(c.id > after).order_by(c.id).limit(limit)
    if unscored_only:
        query = query.where(c.id.not_in(select(risk.c.customer_id)))
    return list(db.execute(query).scalars())


# -- the webhook queue ------------------------------------------------------------------
def due(db: Connection, now: float, limit: int = 100) -> list[dict[str, Any]]:
    o = risk_outreach.c
    query = (
        select(o.id, o.customer_id, o.kind, o.body, o.attempts)
        .where(o.status == "pending", o.due <= now)
        .order_by(o.due)
        .limit(limit)
    )
    return rows(db.execute(query))


def mark(db: Connection, row_id: int, status: str, now: float, error: str = "") -> None:
    o = risk_outreach.c
    db.execute(
        update(risk_outreach)
        .where(o.id == row_id)
        .values(
            status=status,
            attempts=o.attempts + 1,
            delivered_at=now if status == "delivered" else None,
            error=error,
        )
    )
    outcome = {"delivered": "sent", "failed": "failed"}.get(status)
    if outcome:
        theirs = select(o.intervention_id).where(o.id == row_id).scalar_subquery()
        db.execute(
            update(interventions)
            .where(interventions.c.id == theirs, interventions.c.outcome == "queued")
            .values(outcome=outcome, outcome_at=now)
        )


def retry_later(db: Connection, row_id: int, when: float, error: str) -> None:
    o = risk_outreach.c
    db.execute(
        update(risk_outreach)
        .where(o.id == row_id)
        .values(attempts=o.attempts + 1, due=when, error=error)
    )
