"""Next best action rules from skills/next-best-action.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.profiles.retention import nba
from engine.profiles.retention.nba import Situation, recommend
from engine.profiles.ruleset import LiveRules, RuleFileError

SKILLS = Path(__file__).resolve().parents[4] / "skills"
RULES = nba.load(SKILLS / "next-best-action.yaml")


def test_refund_topic_with_agitated_caller_gets_express_refund_and_coupon():
    rec = recommend(RULES, Situation(topic="refund", mood="agitated", risk_tier="low"))
    assert rec.rule == "express-refund"
    assert rec.action.steps == (
        "Skip routine checks",
        "Refund at once",
        "Offer a compensation coupon",
    )
    assert rec.action.offer == {"kind": "coupon", "value": 20}
    assert rec.because == ("topic: refund", "mood: agitated")


def test_calm_refund_caller_does_not_skip_checks():
    assert recommend(RULES, Situation(topic="refund", mood="calm")).rule is None


@pytest.mark.parametrize(
    ("situation", "rule"),
    [
        (
            Situation(risk_tier="high", tags=frozenset({"unresolved-complaint", "idle-30d"})),
            "save-high-risk-complaint",
        ),
        (Situation(risk_tier="medium", worked=frozenset({"coupon"})), "repeat-what-worked"),
        (Situation(risk_tier="low", worked=frozenset({"coupon"})), None),
        (Situation(stage="declining"), "declining-win-back"),
        (
            Situation(
                topic="refund",
                mood="angry",
                risk_tier="high",
                tags=frozenset({"unresolved-complaint"}),
            ),
            "express-refund",
        ),  # first wins
        (Situation(), None),
    ],
)
def test_first_matching_rule_wins(situation, rule):
    rec = recommend(RULES, situation)
    assert rec.rule == rule
    if rule is None:
        assert rec.action == RULES.default and rec.because == ()


def test_min_open_tickets():
    rules = nba.parse(
        "rules:\n  - name: tickets\n    when: {min_open_tickets: 2}\n"
        "    action: {title: T, steps: [a]}\ndefault: {title: D, steps: []}\n"
    )
    assert recommend(rules, Situation(open_tickets=2)).because == ("open tickets: 2",)
    assert recommend(rules, Situation(open_tickets=1)).rule is None


def test_yaml_errors_name_file_and_line_and_last_good_stays(tmp_path):
    path = tmp_path / "next-best-action.yaml"
    good = (SKILLS / "next-best-action.yaml").read_text()
    path.write_text(good)
    live = LiveRules(path, nba.SCHEMA, nba.build)
    broken = good.replace("      moods: [agitated, angry]", "      mood: [agitated, angry]")
    path.write_text(broken)
    assert live.reload() is False
    line = next(i for i, t in enumerate(broken.splitlines(), 1) if "mood: [" in t)
    assert live.errors == [f"{path}:{line}:7: unknown key 'mood'"]
    assert (
        recommend(live.current, Situation(topic="refund", mood="angry")).rule == "express-refund"
    ), "the last good rules stay live"
    with pytest.raises(RuleFileError) as err:
        nba.parse(good.replace("name: declining-win-back", "name: express-refund"), "n.yaml")
    assert "duplicate name 'express-refund'" in err.value.issues[0]
    assert err.value.issues[0].startswith("n.yaml:")
