"""Cross-sell / up-sell rules from skills/offers.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.profiles.retention import offers
from engine.profiles.retention.offers import Facts, suggest
from engine.profiles.ruleset import RuleFileError

SKILLS = Path(__file__).resolve().parents[4] / "skills"
RULES = offers.load(SKILLS / "offers.yaml")


def _products(facts: Facts) -> list[str]:
    return [s.product for s in suggest(RULES, facts)]


def test_basic_plan_owner_is_offered_the_advanced_plan():
    got = suggest(RULES, Facts(products=frozenset({"basic-plan"}), stage="mature"))
    assert [(s.rule, s.kind, s.product) for s in got] == [
        ("basic-to-advanced", "up-sell", "advanced-plan")
    ]


def test_owners_of_the_advanced_plan_and_new_customers_are_not():
    assert "advanced-plan" not in _products(
        Facts(products=frozenset({"basic-plan", "advanced-plan"}), stage="mature")
    )
    assert "advanced-plan" not in _products(Facts(products=frozenset({"basic-plan"}), stage="new"))


def test_loyalty_level_and_points_gate_the_loyalty_offer():
    assert "points-upgrade" in _products(Facts(loyalty_level="platinum", loyalty_points=6000))
    assert "points-upgrade" not in _products(Facts(loyalty_level="silver", loyalty_points=60000))
    assert "points-upgrade" not in _products(Facts(loyalty_level="gold", loyalty_points=10))


def test_topic_and_percentile_conditions():
    assert _products(Facts(topic="technical")) == ["care-package"]
    assert "win-back-bundle" in _products(Facts(stage="declining", percentile=80))
    assert "win-back-bundle" not in _products(Facts(stage="declining", percentile=20))


def test_bad_file_is_refused_with_file_and_line():
    text = (SKILLS / "offers.yaml").read_text().replace("kind: up-sell", "kind: upsell")
    with pytest.raises(RuleFileError) as err:
        offers.parse(text, "offers.yaml")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "kind: upsell" in t)
    assert err.value.issues == [
        f"offers.yaml:{line}:11: 'upsell' is not one of ['up-sell', 'cross-sell', 'loyalty']"
    ]
    text = (SKILLS / "offers.yaml").read_text().replace("min_loyalty: gold", "min_loyalty: golden")
    with pytest.raises(RuleFileError) as err:
        offers.parse(text, "offers.yaml")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "golden" in t)
    assert len(err.value.issues) == 1
    assert err.value.issues[0].startswith(f"offers.yaml:{line}:")
    assert "unknown loyalty level 'golden'" in err.value.issues[0]
