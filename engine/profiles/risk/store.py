"""SQLite side of real-time risk: re-score a set of customers in one transaction on the
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

import sqlite_utils

from engine.profiles.risk import outreach
from engine.profiles.risk.config import RiskConfig
from engine.profiles.risk.facts import Facts, facts_of, features_of, read_rows
from engine.profiles.risk.score import Model, Score, score
from engine.profiles.risk.tags import evaluate

BY = "risk-policy"
MAX_IDS = 5000  # customers per statement (SQLite's variable limit is higher)


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


def _ids_where(db: sqlite_utils.Database, sql: str, ids: list[str]) -> dict[str, Any]:
    marks = ",".join("?" * len(ids))
    return dict(db.conn.execute(sql.format(marks=marks), ids).fetchall())


def _contact(
    db: sqlite_utils.Database,
    facts: Facts,
    name: str,
    language: str | None,
) -> outreach.Contact:
    points = dict(
        db.conn.execute(
            "SELECT kind, value FROM contact_points WHERE customer_id = ? AND kind IN "
            "('phone', 'email') ORDER BY added_at",
            [facts.customer_id],
        ).fetchall()
    )
    return outreach.Contact(
        facts.customer_id,
        name,
        language,
        points.get("phone"),
        points.get("email"),
        facts.contact_opt_out,
        sum(a for _, a in facts.orders),
    )


def _forget(db: sqlite_utils.Database, customer_id: str) -> None:
    db.conn.execute("DELETE FROM risk WHERE customer_id = ?", [customer_id])
    db.conn.execute(
        "UPDATE callbacks SET status = 'cancelled-opt-out' WHERE customer_id = ? "
        "AND status = 'pending'",
        [customer_id],
    )
    db.conn.execute(
        "UPDATE risk_outreach SET status = 'cancelled-opt-out' WHERE "
        "customer_id = ? AND status = 'pending'",
        [customer_id],
    )


def _apply(
    db: sqlite_utils.Database, d: outreach.Decision, customer_id: str, arm: str, now: float
) -> None:
    cur = db.conn.execute(
        "INSERT INTO interventions (customer_id, kind, at, by, outcome, arm, details) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [customer_id, d.intervention_kind, now, BY, d.outcome, arm, json.dumps(dict(d.details))],
    )
    if d.callback is not None:
        db.table("callbacks").insert(dict(d.callback))
    if d.webhook is not None:
        db.table("risk_outreach").insert(
            {
                "customer_id": customer_id,
                "kind": d.kind,
                "status": "pending",
                "attempts": 0,
                "body": json.dumps(dict(d.webhook), ensure_ascii=False),
                "due": now,
                "created_at": now,
                "intervention_id": cur.lastrowid,
            }
        )


def rescore(
    db: sqlite_utils.Database, customer_ids: Iterable[str], policy: Policy, now: float
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
    marks = ",".join("?" * len(ids))
    old = {
        r[0]: r[1:]
        for r in db.conn.execute(
            f"SELECT customer_id, score, tier, tags, reasons, model FROM risk WHERE customer_id "
            f"IN ({marks})",
            ids,
        )
    }
    pending = _ids_where(
        db,
        "SELECT customer_id, count(*) FROM callbacks WHERE status = "
        "'pending' AND customer_id IN ({marks}) GROUP BY customer_id",
        ids,
    )
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
        db.conn.execute(
            "INSERT INTO risk_changes (customer_id, at, old_tier, new_tier, score, "
            "reasons) VALUES (?, ?, ?, ?, ?, ?)",
            [cid, now, was, s.tier, s.score, row[4]],
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
    db.conn.executemany(
        "INSERT INTO risk (customer_id, score, tier, tags, reasons, model, scored_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(customer_id) DO UPDATE SET "
        "score = excluded.score, tier = excluded.tier, tags = excluded.tags, "
        "reasons = excluded.reasons, model = excluded.model, scored_at = excluded.scored_at",
        upserts,
    )
    return changes


def customer_ids(
    db: sqlite_utils.Database, after: str, limit: int, unscored_only: bool = False
) -> list[str]:
    """The next ``limit`` customer IDs after ``after`` (for the sweep); only those without
    a risk row when ``unscored_only``."""
    extra = " AND id NOT IN (SELECT customer_id FROM risk)" if unscored_only else ""
    return [
        r[0]
        for r in db.conn.execute(
            f"SELECT id FROM customers WHERE id > ?{extra} ORDER BY id LIMIT ?", [after, limit]
        )
    ]


# -- the webhook queue ------------------------------------------------------------------
def due(db: sqlite_utils.Database, now: float, limit: int = 100) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT id, customer_id, kind, body, attempts FROM risk_outreach "
            "WHERE status = 'pending' AND due <= ? ORDER BY due LIMIT ?",
            [now, limit],
        )
    )


def mark(db: sqlite_utils.Database, row_id: int, status: str, now: float, error: str = "") -> None:
    db.conn.execute(
        "UPDATE risk_outreach SET status = ?, attempts = attempts + 1, "
        "delivered_at = ?, error = ? WHERE id = ?",
        [status, now if status == "delivered" else None, error, row_id],
    )
    outcome = {"delivered": "sent", "failed": "failed"}.get(status)
    if outcome:
        db.conn.execute(
            "UPDATE interventions SET outcome = ?, outcome_at = ? WHERE id = "
            "(SELECT intervention_id FROM risk_outreach WHERE id = ?) AND "
            "outcome = 'queued'",
            [outcome, now, row_id],
        )


def retry_later(db: sqlite_utils.Database, row_id: int, when: float, error: str) -> None:
    db.conn.execute(
        "UPDATE risk_outreach SET attempts = attempts + 1, due = ?, error = ? WHERE id = ?",
        [when, error, row_id],
    )
