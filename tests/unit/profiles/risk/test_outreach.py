"""Outreach policy on a tier change (pure), and re-scoring in SQLite: risk rows, tier
changes, callbacks, queued webhooks, interventions; opt-out gets nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from engine.profiles.risk import config as risk_config
from engine.profiles.risk import outreach
from engine.profiles.risk import store as risk_store
from engine.profiles.risk.config import Outreach
from engine.profiles.risk.outreach import Contact, decide
from engine.profiles.risk.score import Reason, Score, default_model
from engine.profiles.risk.store import Policy
from engine.schemas import MIGRATIONS
from engine.store.database import Database
from tests.storedb import count, execute, insert, query
from tests.unit.profiles.risk.test_tags import CONFIG, DAY, NOW

POLICY = Outreach(("email", "sms"), "Hi {name}: {top_reason}", "Thanks {name}", {"kind": "x"})
WHO = Contact("c1", "Li Lei", "zh", "+8613800138000", "li@example.com", value=250.0)


def s(tier: str, value: float = 0.7) -> Score:
    return Score(
        value,
        tier,
        (
            Reason("tickets-unresolved", 3.2, 3.2, "3 unresolved tickets"),
            Reason("accepted-offer", -1.0, -1.0, "Accepted"),
        ),
        "rules",
    )


@pytest.mark.parametrize(
    ("old", "tier", "who", "arm", "pending", "kind", "outcome"),
    [
        (None, "high", WHO, "treatment", False, "callback", "scheduled"),
        ("medium", "high", WHO, "treatment", False, "callback", "scheduled"),
        ("medium", "high", WHO, "treatment", True, None, None),  # one already pending
        ("low", "medium", WHO, "treatment", False, "message", "queued"),
        ("high", "low", WHO, "treatment", False, "promotion", "queued"),
        (None, "low", WHO, "treatment", False, None, None),  # first score, low: nothing
        ("high", "high", WHO, "treatment", False, None, None),  # no change
        ("low", "high", WHO, "control", False, "callback", "control-not-contacted"),
        ("low", "medium", WHO, "control", False, "message", "control-not-contacted"),
        (
            "low",
            "high",
            Contact("c1", email="a@b.c"),
            "treatment",
            False,
            "callback",
            "skipped-no-phone",
        ),
        ("low", "medium", Contact("c1"), "treatment", False, "message", "skipped-no-address"),
        (
            "low",
            "medium",
            Contact("c1", phone="1", contact_opt_out=True),
            "treatment",
            False,
            "message",
            "skipped-contact-opt-out",
        ),
    ],
)
def test_policy(
    old: str | None,
    tier: str,
    who: Contact,
    arm: str,
    pending: bool,
    kind: str | None,
    outcome: str | None,
) -> None:
    d = decide(old, s(tier), who, arm, pending, NOW, 24.0, POLICY)
    assert (d.kind if d else None, d.outcome if d else None) == (kind, outcome)
    if d is not None and outcome != "scheduled":
        assert d.callback is None
    if d is not None and outcome != "queued":
        assert d.webhook is None


def test_callback_is_due_within_a_day_with_priority_score_times_value() -> None:
    d = decide("low", s("high", 0.8), WHO, "treatment", False, NOW, 24.0, POLICY)
    assert d is not None and d.callback is not None
    cb = d.callback
    assert cb["due_at"] == NOW + 24 * 3600 and cb["number"] == "+8613800138000"
    assert cb["priority"] == pytest.approx(0.8 * 250.0) and cb["status"] == "pending"
    assert cb["reason"] == "3 unresolved tickets"


def test_messages_are_personalised() -> None:
    d = decide("low", s("medium"), WHO, "treatment", False, NOW, 24.0, POLICY)
    assert d is not None and d.webhook is not None
    assert d.webhook["message"] == "Hi Li Lei: 3 unresolved tickets"
    assert (d.webhook["kind"], d.webhook["channel"], d.webhook["to"]) == (
        "outreach",
        "email",
        "li@example.com",
    )
    p = decide(
        "medium",
        s("low"),
        Contact("c1", "Wang", phone="+861"),
        "treatment",
        False,
        NOW,
        24.0,
        POLICY,
    )
    assert p is not None and p.webhook is not None
    assert (p.webhook["kind"], p.webhook["channel"], p.webhook["offer"]) == (
        "promotion",
        "sms",
        {"kind": "x"},
    )


# -- in the store (SQLite and PostgreSQL) -------------------------------------------------
@pytest.fixture
def db(store_target: str) -> Iterator[Database]:
    database = Database(store_target, MIGRATIONS).open_sync()
    yield database
    database.close_sync()


def add_customer(db: Any, cid: str, open_tickets: int = 0, opt_out: int = 0) -> None:
    insert(
        db,
        "customers",
        {
            "id": cid,
            "name": cid.upper(),
            "created_at": NOW - 400 * DAY,
            "prediction_opt_out": opt_out,
        },
    )
    insert(
        db,
        "contact_points",
        {
            "kind": "phone",
            "value": f"+86{len(cid)}{cid}",
            "customer_id": cid,
            "added_at": NOW - 400 * DAY,
        },
    )
    insert(db, "logins", {"id": f"{cid}-l", "customer_id": cid, "at": NOW - DAY})
    for i in range(open_tickets):
        insert(
            db,
            "tickets",
            {
                "id": f"{cid}-t{i}",
                "customer_id": cid,
                "kind": "ticket",
                "status": "open",
                "opened_at": NOW - (5 - i) * DAY,
            },
        )


def policy(arm: str = "treatment") -> Policy:
    return Policy(CONFIG, default_model(CONFIG), lambda _cid: arm, 24.0)


def test_third_ticket_makes_a_customer_high_and_books_one_callback(db: Database) -> None:
    db.run_sync(add_customer, "c1", 2)
    first = db.run_sync(risk_store.rescore, ["c1"], policy(), NOW)
    assert first == []  # first score low: no change
    db.run_sync(
        lambda d: insert(
            d,
            "tickets",
            {
                "id": "c1-t9",
                "customer_id": "c1",
                "kind": "ticket",
                "status": "open",
                "opened_at": NOW - 60,
            },
        )
    )
    changes = db.run_sync(risk_store.rescore, ["c1", "c1"], policy(), NOW)
    assert [(c.customer_id, c.old_tier, c.score.tier) for c in changes] == [("c1", "low", "high")]
    risk = db.run_sync(query, "SELECT * FROM risk")
    assert risk[0]["tier"] == "high" and json.loads(risk[0]["tags"]) == ["tickets-unresolved"]
    assert json.loads(risk[0]["reasons"])[0]["description"] == "3 unresolved tickets"
    callbacks = db.run_sync(query, "SELECT * FROM callbacks")
    assert len(callbacks) == 1 and callbacks[0]["due_at"] <= NOW + 24 * 3600
    assert callbacks[0]["number"] == "+862c1"
    kinds = [
        (r["kind"], r["by"], r["outcome"])
        for r in db.run_sync(query, "SELECT * FROM interventions")
    ]
    assert kinds == [("outreach:callback", "risk-policy", "scheduled")]
    # back to medium and up again: the pending callback is not doubled
    db.run_sync(
        lambda d: execute(
            d, "UPDATE tickets SET status='resolved', resolved_at=:at WHERE id='c1-t9'", at=NOW - 1
        )
    )
    db.run_sync(risk_store.rescore, ["c1"], policy(), NOW)
    db.run_sync(execute, "UPDATE tickets SET status='open', resolved_at=NULL WHERE id='c1-t9'")
    db.run_sync(risk_store.rescore, ["c1"], policy(), NOW)
    assert db.run_sync(count, "callbacks") == 1
    changes = [
        (r["old_tier"], r["new_tier"])
        for r in db.run_sync(query, "SELECT * FROM risk_changes ORDER BY id")
    ]
    assert changes == [("low", "high"), ("high", "low"), ("low", "high")]


def test_opted_out_customers_get_nothing(db: Database) -> None:
    db.run_sync(add_customer, "c2", 3, 1)
    assert db.run_sync(risk_store.rescore, ["c2"], policy(), NOW) == []
    for table in ("risk", "risk_changes", "callbacks", "interventions", "risk_outreach"):
        assert db.run_sync(count, table) == 0, table
    # a customer opting out later loses the score and the pending callback
    db.run_sync(add_customer, "c3", 3)
    db.run_sync(risk_store.rescore, ["c3"], policy(), NOW)
    db.run_sync(execute, "UPDATE customers SET prediction_opt_out = 1 WHERE id = 'c3'")
    db.run_sync(risk_store.rescore, ["c3"], policy(), NOW)
    assert db.run_sync(count, "risk") == 0
    assert [r["status"] for r in db.run_sync(query, "SELECT * FROM callbacks")] == [
        "cancelled-opt-out"
    ]


def test_control_arm_is_recorded_not_contacted(db: Database) -> None:
    db.run_sync(add_customer, "c4", 3)
    changes = db.run_sync(risk_store.rescore, ["c4"], policy("control"), NOW)
    assert changes[0].decision is not None
    assert changes[0].decision.outcome == "control-not-contacted"
    assert db.run_sync(count, "callbacks") == 0
    assert [
        (r["kind"], r["outcome"], r["arm"])
        for r in db.run_sync(query, "SELECT * FROM interventions")
    ] == [("outreach:callback", "control-not-contacted", "control")]


def test_medium_queues_a_webhook_with_its_intervention(db: Database) -> None:
    db.run_sync(add_customer, "c5")
    db.run_sync(
        lambda d: insert(
            d,
            "tickets",
            {
                "id": "c5-x",
                "customer_id": "c5",
                "kind": "complaint",
                "status": "open",
                "opened_at": NOW - DAY,
            },
        )
    )
    db.run_sync(risk_store.rescore, ["c5"], policy(), NOW)
    rows = db.run_sync(risk_store.due, NOW)
    assert [(r["customer_id"], r["kind"]) for r in rows] == [("c5", "message")]
    body = json.loads(rows[0]["body"])
    assert body["kind"] == "outreach" and body["channel"] == "sms" and body["tier"] == "medium"
    db.run_sync(risk_store.mark, rows[0]["id"], "delivered", NOW)
    assert db.run_sync(risk_store.due, NOW) == []
    assert [r["outcome"] for r in db.run_sync(query, "SELECT outcome FROM interventions")] == [
        "sent"
    ]


def test_outreach_module_names() -> None:
    assert outreach.KINDS == {"high": "callback", "medium": "message", "low": "promotion"}
    assert risk_config.Tiers(0.5, 0.15).of(0.15) == "medium"
