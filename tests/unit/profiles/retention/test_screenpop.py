"""Screen pop assembly (pure): what the agent sees, from a desk card and a profile."""

from __future__ import annotations

from pathlib import Path

from engine.profiles.retention import nba, offers
from engine.profiles.retention.lifecycle import DAY
from engine.profiles.retention.screenpop import (
    Conversation,
    ProfileView,
    Rules,
    assemble,
    mood_of,
    worked_before,
    worked_kinds,
)
from engine.profiles.value import Loyalty, Order, SpendRanking

SKILLS = Path(__file__).resolve().parents[4] / "skills"
RULES = Rules(nba.load(SKILLS / "next-best-action.yaml"), offers.load(SKILLS / "offers.yaml"))
NOW = 1_800_000_000.0
CARD = {
    "type": "call",
    "call_id": "call-1",
    "caller_number": "138",
    "customer_id": "c1",
    "customer_name": "Li Lei",
    "vip_tier": None,
    "risk_tier": "medium",
    "risk_score": 0.5,
    "queue": "billing",
    "topic": "refund",
    "hints": [],
}


def _profile(**kw) -> ProfileView:
    base = dict(
        customer_id="c1",
        name="Li Lei",
        preferred_style="formal",
        first_seen=NOW - 400 * DAY,
        loyalty=Loyalty("silver", 300),
        orders=[
            Order("new", NOW - 5 * DAY, 100, "basic-plan"),
            Order("mid", NOW - 80 * DAY, 50, "cable"),
            Order("old", NOW - 120 * DAY, 500, "phone"),
        ],
        tickets=[
            {"id": "t1", "status": "open", "subject": "refund not received"},
            {"id": "t2", "status": "resolved", "subject": "old"},
        ],
        conversations=[
            Conversation(
                "cv1",
                "chat",
                "open",
                NOW - 3600,
                [{"at": NOW - 3600, "from": "customer", "text": "where is my refund"}],
            ),
            Conversation("cv2", "email", "resolved", NOW - 9 * DAY, [{"text": "thanks"}]),
            Conversation("cv3", "phone", "open", NOW - 60, [{"text": "(this call)"}]),
        ],
        interventions=[
            {
                "kind": "care:notify",
                "at": NOW - 50 * DAY,
                "outcome": "accepted",
                "detail": {"offer": {"kind": "coupon", "value": 20}},
            },
            {"kind": "outreach:sms", "at": NOW - 10 * DAY, "outcome": "ignored", "detail": {}},
        ],
        risk={
            "tier": "medium",
            "score": 0.5,
            "reasons": [{"tag": "unresolved-complaint", "weight": 1.2}],
        },
    )
    base.update(kw)
    return ProfileView(**base)


def test_screen_pop_holds_what_the_agent_needs():
    pop = assemble(CARD, _profile(), RULES, SpendRanking([10, 20, 650, 1000]), NOW)
    assert [o["order_id"] for o in pop["orders"]] == ["new", "mid"], "90 days, newest first"
    assert [t["id"] for t in pop["open_tickets"]] == ["t1"]
    assert [c["conversation_id"] for c in pop["unfinished_conversations"]] == ["cv1"]
    assert pop["unfinished_conversations"][0]["messages"][0]["text"] == "where is my refund"
    assert pop["customer"]["preferred_style"] == "formal"
    assert pop["customer"]["lifetime_value"] == 650 and pop["customer"]["value_percentile"] == 50
    assert pop["risk"]["reasons"] == [{"tag": "unresolved-complaint", "weight": 1.2}]
    assert [w["kind"] for w in pop["worked_before"]] == ["care:notify"]
    assert pop["mood"] == "agitated", "an open complaint makes the caller agitated"
    assert pop["next_best_action"]["rule"] == "express-refund"
    assert pop["next_best_action"]["steps"][0] == "Skip routine checks"


def test_mood_from_the_call_wins_and_calm_caller_gets_another_action():
    pop = assemble({**CARD, "mood": "calm"}, _profile(), RULES, SpendRanking([]), NOW)
    assert pop["mood"] == "calm"
    assert pop["next_best_action"]["rule"] == "repeat-what-worked", (
        "medium risk and a coupon worked before"
    )
    assert pop["next_best_action"]["offer"] == {"kind": "coupon", "value": 10}


def test_no_profile_risk_falls_back_to_the_card_and_offers_follow_products():
    pop = assemble(
        {**CARD, "topic": "technical"},
        _profile(risk={}, interventions=[]),
        RULES,
        SpendRanking([1]),
        NOW,
    )
    assert pop["risk"] == {"tier": "medium", "score": 0.5, "reasons": []}
    assert pop["mood"] is None
    assert pop["customer"]["stage"] == "declining", "150 in the last 90 days, 500 before"
    assert [o["product"] for o in pop["offers"]] == ["care-package", "win-back-bundle"]
    grown = _profile(
        orders=[
            Order("a", NOW - 5 * DAY, 900, "basic-plan"),
            Order("b", NOW - 120 * DAY, 100, "cable"),
        ]
    )
    pop = assemble(CARD, grown, RULES, SpendRanking([1]), NOW)
    assert pop["customer"]["stage"] == "growing"
    assert [o["product"] for o in pop["offers"]] == ["advanced-plan"]


def test_helpers():
    assert mood_of({"emotion": "angry"}, frozenset()) == "angry"
    assert mood_of({}, frozenset({"idle-30d"})) is None
    worked = worked_before(
        [
            {"outcome": "Accepted", "at": 1, "kind": "x"},
            {"outcome": "resolved", "at": 5, "detail": {"kind": "callback"}},
            {"outcome": "failed", "at": 9},
        ]
    )
    assert [w["at"] for w in worked] == [5, 1]
    assert worked_kinds(worked) == {"callback", "x"}
