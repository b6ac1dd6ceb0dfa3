"""Risk tags: each rule of skills/risk-tags.yaml against customers' rows, as of ``now``;
the file's checks (file:line:column, last good kept)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.profiles.risk import config as risk_config
from engine.profiles.risk.facts import DAY, facts_of, features_of
from engine.profiles.risk.tags import evaluate
from engine.profiles.ruleset import RuleFileError

SKILLS = Path(__file__).resolve().parents[4] / "skills"
CONFIG = risk_config.load(SKILLS / "risk-tags.yaml")
NOW = 1_780_000_000.0
ACTIVE = {"customer": [{"id": "c", "created_at": NOW - 400 * DAY}], "logins": [{"at": NOW - DAY}]}


def ago(days: float) -> float:
    return NOW - days * DAY


def rows(**tables: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out = {k: list(v) for k, v in ACTIVE.items()}
    for k, v in tables.items():
        out[k] = out.get(k, []) + v
    return out


def ev(type_: str, days: float, **data: Any) -> dict[str, Any]:
    return {"type": type_, "at": ago(days), "data": json.dumps(data)}


def tags_of(r: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    return evaluate(CONFIG.tags, facts_of(r, "c", NOW), NOW, CONFIG.words)


def ticket(days: float, kind: str = "ticket", resolved: float | None = None) -> dict[str, Any]:
    return {
        "kind": kind,
        "opened_at": ago(days),
        "status": "resolved" if resolved else "open",
        "resolved_at": ago(resolved) if resolved is not None else None,
    }


CASES = [
    # (tag, rows, holds)
    (
        "no-interaction",
        {
            "customer": [{"id": "c", "created_at": ago(200)}],
            "orders": [{"at": ago(31), "amount": 10}],
        },
        True,
    ),
    (
        "no-interaction",
        {
            "customer": [{"id": "c", "created_at": ago(200)}],
            "orders": [{"at": ago(29), "amount": 10}],
        },
        False,
    ),
    ("no-interaction", {"customer": [{"id": "c", "created_at": ago(10)}]}, False),
    (
        "no-interaction",
        {
            "customer": [{"id": "c", "created_at": ago(200)}],
            "interactions": [{"at": ago(2), "direction": "out"}],
        },
        True,
    ),
    ("unresolved-complaint", rows(tickets=[ticket(5, "complaint")]), True),
    ("unresolved-complaint", rows(tickets=[ticket(5, "complaint", resolved=1)]), False),
    ("unresolved-complaint", rows(tickets=[ticket(5, "ticket")]), False),
    ("tickets-unresolved", rows(tickets=[ticket(9), ticket(5), ticket(1, "complaint")]), True),
    ("tickets-unresolved", rows(tickets=[ticket(9), ticket(5), ticket(1, resolved=0.5)]), False),
    (
        "low-ratings",
        rows(ratings=[{"at": ago(d), "stars": s} for d, s in ((40, 5), (30, 3), (20, 2), (10, 1))]),
        True,
    ),
    (
        "low-ratings",
        rows(ratings=[{"at": ago(d), "stars": s} for d, s in ((30, 2), (20, 3), (10, 4))]),
        False,
    ),
    (
        "low-ratings",
        rows(ratings=[{"at": ago(20), "stars": 1}, {"at": ago(10), "stars": 1}]),
        False,
    ),
    (
        "order-value-drop",
        rows(orders=[{"at": ago(150), "amount": 100}, {"at": ago(30), "amount": 60}]),
        True,
    ),
    (
        "order-value-drop",
        rows(orders=[{"at": ago(150), "amount": 100}, {"at": ago(30), "amount": 75}]),
        False,
    ),
    (
        "order-value-drop",
        rows(
            orders=[
                {"at": ago(150), "amount": 100},
                {"at": ago(30), "amount": 60, "status": "refunded"},
            ]
        ),
        False,
    ),
    (
        "no-login-after-inquiry",
        {
            "customer": [{"id": "c", "created_at": ago(400)}],
            "logins": [{"at": ago(20)}],
            "events": [ev("inquiry", 8, topic="billing")],
        },
        True,
    ),
    (
        "no-login-after-inquiry",
        {
            "customer": [{"id": "c", "created_at": ago(400)}],
            "logins": [{"at": ago(2)}],
            "events": [ev("inquiry", 8)],
        },
        False,
    ),
    (
        "no-login-after-inquiry",
        {"customer": [{"id": "c", "created_at": ago(400)}], "events": [ev("inquiry", 3)]},
        False,
    ),
    (
        "inquiries-rising",
        rows(events=[ev("inquiry", 45), ev("inquiry", 20), ev("inquiry", 5)]),
        True,
    ),
    (
        "inquiries-rising",
        rows(
            events=[ev("inquiry", 45), ev("inquiry", 20), ev("inquiry", 5)],
            tickets=[ticket(25, resolved=10)],
        ),
        False,
    ),
    (
        "inquiries-rising",
        rows(events=[ev("inquiry", 45), ev("inquiry", 40), ev("inquiry", 20), ev("inquiry", 5)]),
        False,
    ),
    (
        "complaint-words",
        rows(events=[ev("call.transcript", 3, text="...", complaint_words=["投诉"])]),
        True,
    ),
    ("complaint-words", rows(events=[ev("call.transcript", 3, text="I want a REFUND now")]), True),
    ("complaint-words", rows(events=[ev("call.transcript", 3, text="我要投诉你们")]), True),
    ("complaint-words", rows(events=[ev("call.transcript", 3, text="thanks, all good")]), False),
    ("complaint-words", rows(events=[ev("call.transcript", 40, text="refund")]), False),
    ("agitated-caller", rows(events=[ev("call.emotion", 2, score=0.8, label="angry")]), True),
    ("agitated-caller", rows(events=[ev("call.emotion", 2, score=0.3, label="agitated")]), True),
    ("agitated-caller", rows(events=[ev("call.emotion", 2, score=0.3, label="calm")]), False),
    ("agitated-caller", rows(events=[ev("call.emotion", 20, score=0.9)]), False),
    (
        "accepted-offer",
        rows(interventions=[{"at": ago(10), "kind": "outreach:callback", "outcome": "accepted"}]),
        True,
    ),
    (
        "accepted-offer",
        rows(interventions=[{"at": ago(100), "kind": "care:notify", "outcome": "accepted"}]),
        False,
    ),
    (
        "accepted-offer",
        rows(interventions=[{"at": ago(10), "kind": "care:notify", "outcome": "declined"}]),
        False,
    ),
]


@pytest.mark.parametrize(
    ("tag", "table", "holds"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_tag_rules(tag: str, table: dict[str, list[dict[str, Any]]], holds: bool) -> None:
    assert (tag in tags_of(table)) is holds


def test_an_active_customer_has_no_tags() -> None:
    assert tags_of(rows()) == {}


def test_descriptions_say_what_holds() -> None:
    got = tags_of(
        rows(
            tickets=[ticket(9), ticket(5), ticket(1)],
            orders=[{"at": ago(150), "amount": 100}, {"at": ago(30), "amount": 50}],
        )
    )
    assert got["tickets-unresolved"] == "3 unresolved tickets"
    assert got["order-value-drop"] == "Average order value down 50% (100.0 -> 50.0)"


def test_rows_after_now_are_ignored() -> None:
    later = rows(tickets=[{"kind": "complaint", "opened_at": NOW + DAY, "status": "open"}])
    assert "unresolved-complaint" not in tags_of(later)
    resolved_later = rows(tickets=[ticket(5, "complaint", resolved=-1)])
    assert "unresolved-complaint" in tags_of(resolved_later)


def test_opt_out_and_features() -> None:
    facts = facts_of(
        {"customer": [{"id": "c", "prediction_opt_out": 1, "plan": "basic"}]}, "c", NOW
    )
    assert facts.opted_out
    features = features_of(facts_of(rows(tickets=[ticket(3)]), "c", NOW), NOW)
    assert features["open_tickets"] == 1 and features["days_inactive"] == pytest.approx(1.0)


# -- the file ---------------------------------------------------------------------------
GOOD = """\
tiers: {high: 0.5, medium: 0.2}
tags:
  - name: quiet
    rule: inactive
    days: 10
    weight: 2
"""


def test_broken_file_names_file_line_and_reason(tmp_path: Path) -> None:
    bad = (
        GOOD.replace("days: 10", "days: ten") + "  - name: quiet\n    rule: inactive\n"
        "    weight: 1\n    count: 3\n"
    )
    with pytest.raises(RuleFileError) as err:
        risk_config.parse(bad, "risk-tags.yaml")
    assert err.value.issues == ["risk-tags.yaml:5:11: 'ten' is not of type 'number'"]
    with pytest.raises(RuleFileError) as err:
        risk_config.parse(
            GOOD + "  - name: quiet\n    rule: inactive\n    weight: 1\n    count: 3\n",
            "risk-tags.yaml",
        )
    assert err.value.issues == [
        "risk-tags.yaml:7:11: tag 'quiet' given twice",
        "risk-tags.yaml:10:5: 'count' is not a parameter of rule 'inactive' (it takes days)",
    ]
    with pytest.raises(
        RuleFileError,
        match=r"risk-tags.yaml:1:\d+: medium \(0.6\) must be "
        r"below high",
    ):
        risk_config.parse(GOOD.replace("medium: 0.2", "medium: 0.6"), "risk-tags.yaml")


def test_broken_edit_keeps_the_last_good_file(tmp_path: Path) -> None:
    path = tmp_path / "risk-tags.yaml"
    path.write_text(GOOD)
    live = risk_config.live(path)
    assert live.current.tag_names == ("quiet",)
    path.write_text(GOOD.replace("rule: inactive", "rule: sulking"))
    assert live.reload() is False
    assert live.errors and live.errors[0].startswith(f"{path}:4:11: 'sulking' is not one of")
    assert live.current.tag_names == ("quiet",)
    path.write_text(GOOD.replace("quiet", "silent"))
    assert live.reload() is True and live.current.tag_names == ("silent",)


def test_missing_complaint_words_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "risk-tags.yaml"
    path.write_text("complaint_words: nowhere.yaml\n" + GOOD)
    with pytest.raises(RuleFileError, match=r"risk-tags.yaml:1:18: cannot read .*nowhere"):
        risk_config.load(path)
