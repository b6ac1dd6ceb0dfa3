"""The campaign store on real SQLite and PostgreSQL: imports, callbacks, attempts,
interventions."""

import json

import pytest

from engine.dialer.campaigns import dial_store, store
from engine.dialer.core.policy import CampaignPolicy
from engine.errors import Conflict, InvalidRequest
from engine.schemas import MIGRATIONS
from engine.store.database import Database
from tests.storedb import insert, query

NOW = 1_700_000_000.0
POLICY = CampaignPolicy(max_attempts=2, retry_seconds={"busy": 60.0})


@pytest.fixture
def db(store_target):
    database = Database(store_target, MIGRATIONS)
    database.open_sync()
    yield database
    database.close_sync()


def test_import_keeps_good_rows_and_reports_bad_and_repeated_ones(db):
    c = db.run_sync(store.create, "spring", "manual", "progressive", "general", POLICY, NOW)
    first = db.run_sync(store.import_csv, c["id"], "13800000001,c1\n99\n13800000002\n", NOW)
    assert first["added"] == 2 and first["errors"] == [
        {"line": 2, "reason": "number '99' is not a phone number"}
    ]
    again = db.run_sync(store.import_csv, c["id"], "13800000003\n13800000001,c1\n", NOW)
    assert again["added"] == 1
    assert again["errors"] == [
        {"line": 2, "reason": f"number 13800000001 is already in campaign {c['id']}"}
    ]
    progress = db.run_sync(store.progress, c["id"], 0.0)
    assert progress["contacts"] == {
        "total": 3,
        "done": 0,
        "pending": 3,
        "by_status": {"pending": 3},
    }


def test_bad_campaigns_and_transitions(db):
    with pytest.raises(InvalidRequest) as err:
        db.run_sync(store.create, "x", "survey", "predictive", "general", POLICY, NOW)
    assert err.value.details["field"] == "kind"
    c = db.run_sync(store.create, "cb", "callback", "predictive", "general", POLICY, NOW)
    with pytest.raises(Conflict):
        db.run_sync(store.import_csv, c["id"], "13800000001\n", NOW)
    with pytest.raises(Conflict):
        db.run_sync(store.transition, c["id"], "pause", NOW)
    assert db.run_sync(store.transition, c["id"], "start", NOW)["status"] == "running"
    assert db.run_sync(store.transition, c["id"], "pause", NOW)["status"] == "paused"
    assert db.run_sync(store.transition, c["id"], "stop", NOW)["status"] == "stopped"


def _seed_callbacks(sdb):
    insert(
        sdb,
        "customers",
        [
            {
                "id": "c-ok",
                "name": "Ok",
                "timezone": "Asia/Shanghai",
                "contact_opt_out": 0,
                "language": "zh-CN",
            },
            {
                "id": "c-out",
                "name": "Out",
                "timezone": "Europe/London",
                "contact_opt_out": 1,
                "language": None,
            },
        ],
    )
    insert(
        sdb,
        "callbacks",
        [
            {
                "customer_id": "c-ok",
                "number": "1700001",
                "score": 0.9,
                "value": 800.0,
                "priority": 720.0,
                "due_at": NOW + 3600,
                "status": "pending",
                "created_at": NOW,
            },
            {
                "customer_id": "c-out",
                "number": "1700002",
                "score": 0.8,
                "value": 100.0,
                "priority": None,
                "due_at": NOW + 80000,
                "status": "pending",
                "created_at": NOW,
            },
            {
                "customer_id": "c-ok",
                "number": "1700003",
                "score": 0.9,
                "value": 1.0,
                "priority": 1.0,
                "due_at": NOW,
                "status": "done",
                "created_at": NOW,
            },
        ],
    )


def test_callbacks_become_contacts_once_and_outcomes_become_interventions(db):
    db.run_sync(_seed_callbacks)
    c = db.run_sync(store.create, "risk", "callback", "predictive", "general", POLICY, NOW)
    assert db.run_sync(dial_store.sync_callbacks, c["id"], NOW) == 2
    assert db.run_sync(dial_store.sync_callbacks, c["id"], NOW) == 0
    db.run_sync(store.add_dnc, ["1700009"], "asked", NOW)
    rows = {r["number"]: r for r in db.run_sync(dial_store.candidates, c["id"], NOW)}
    assert set(rows) == {"1700001", "1700002"}
    assert rows["1700001"]["timezone"] == "Asia/Shanghai" and not rows["1700001"]["opted_out"]
    assert rows["1700002"]["opted_out"] and rows["1700002"]["priority"] == pytest.approx(80.0)
    assert not rows["1700001"]["dnc"]
    # the call is heard in the customer's profile language (unknown: the default)
    assert (rows["1700001"]["language"], rows["1700002"]["language"]) == ("zh-CN", None)
    assert db.run_sync(dial_store.customer_language, "c-ok") == "zh-CN"
    assert db.run_sync(dial_store.customer_language, "nobody") is None

    row = rows["1700001"]
    attempt = db.run_sync(dial_store.start_attempt, c["id"], row, "line-1", None, NOW)
    step = db.run_sync(
        dial_store.finish_attempt,
        "callback",
        attempt,
        "busy",
        NOW + 5,
        POLICY,
        False,
        {"ring_seconds": 3.0, "channel": "line-1"},
    )
    assert (step.status, step.next_at) == ("pending", NOW + 65)
    attempt = db.run_sync(dial_store.start_attempt, c["id"], row, "line-2", None, NOW + 70)
    db.run_sync(dial_store.answered, attempt, NOW + 75, "HUMAN", "HUMAN-811-800", True)
    step = db.run_sync(
        dial_store.finish_attempt,
        "callback",
        attempt,
        "answered",
        NOW + 78,
        POLICY,
        False,
        {"agent_id": "2003", "channel": "line-2"},
    )
    assert step.status == "done"

    def check(sdb):
        done = query(sdb, "SELECT status FROM callbacks WHERE number = '1700001'")
        iv = query(sdb, "SELECT * FROM interventions WHERE customer_id = 'c-ok' ORDER BY id")
        return done[0]["status"], iv

    status, interventions = db.run_sync(check)
    assert status == "done"
    assert [(i["kind"], i["outcome"]) for i in interventions] == [
        ("dialer:callback", "busy"),
        ("dialer:callback", "answered"),
    ]
    assert interventions[1]["by"] == f"dialer:campaign-{c['id']}"
    details = json.loads(interventions[1]["details"])
    assert details["agent_id"] == "2003" and details["attempt"] == 2 and details["amd"] == "HUMAN"
    progress = db.run_sync(store.progress, c["id"], NOW)
    assert progress["attempts"]["by_outcome"] == {"busy": 1, "answered": 1}
    assert progress["abandon"] == {"live_answers": 1, "abandoned": 0, "rate": 0.0}
    assert db.run_sync(dial_store.live_answers, c["id"], 0.0) == [(NOW + 75, False, "1700001")]


def test_a_live_answer_learnt_late_stays_counted_abandoned_after_a_restart(db):
    """The guard counted it abandoned when the verdict came late (event socket down); the
    status and the guard a restarted engine rebuilds count it the same way."""
    c = db.run_sync(store.create, "late", "manual", "predictive", "general", POLICY, NOW)
    db.run_sync(store.import_csv, c["id"], "13800000001\n13800000002\n", NOW)
    rows = db.run_sync(dial_store.candidates, c["id"], NOW)
    for k, (row, late) in enumerate(zip(rows, (True, False), strict=True)):
        attempt = db.run_sync(dial_store.start_attempt, c["id"], row, f"l{k}", None, NOW)
        db.run_sync(dial_store.answered, attempt, NOW + 5, "HUMAN", "HUMAN-811-800", True)
        details = {"agent_id": "2001", "late_verdict": True} if late else {"agent_id": "2001"}
        db.run_sync(
            dial_store.finish_attempt,
            "manual",
            attempt,
            "answered",
            NOW + 60,
            POLICY,
            False,
            details,
        )
    assert db.run_sync(dial_store.live_answers, c["id"], 0.0) == [
        (NOW + 5, True, "13800000001"),
        (NOW + 5, False, "13800000002"),
    ]
    assert db.run_sync(store.progress, c["id"], NOW)["abandon"] == {
        "live_answers": 2,
        "abandoned": 1,
        "rate": 0.5,
    }
