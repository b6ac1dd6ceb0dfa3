"""A/B arms (deterministic, balanced) and the per-arm comparison with intervals."""

from __future__ import annotations

import random

import pytest

from engine.profiles.retention.ab import Outcome, arm, compare, contacts, difference, wilson


def test_assignment_is_deterministic_and_depends_on_the_experiment():
    ids = [f"cust-{i}" for i in range(20000)]
    first = [arm(c) for c in ids]
    assert first == [arm(c) for c in ids]
    share = first.count("treatment") / len(ids)
    assert 0.48 < share < 0.52
    other = [arm(c, "winter-2026") for c in ids]
    agree = sum(a == b for a, b in zip(first, other, strict=True)) / len(ids)
    assert 0.47 < agree < 0.53, "a new experiment reshuffles the arms"
    assert 0.18 < [arm(c, treatment_share=0.2) for c in ids].count("treatment") / 20000 < 0.22
    assert contacts(ids[0]) == (first[0] == "treatment")


def test_wilson_interval_matches_known_values():
    low, high = wilson(50, 100)
    assert (round(low, 4), round(high, 4)) == (0.4038, 0.5962)
    low, high = wilson(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12) and round(high, 4) == 0.2775
    assert wilson(0, 0) == (0.0, 1.0)


def test_compare_finds_a_real_lift_and_covers_the_truth():
    rnd = random.Random(3)
    outcomes = []
    for i in range(8000):
        cid = f"c{i}"
        treated = arm(cid) == "treatment"
        outcomes.append(
            Outcome(
                cid,
                rnd.random() < (0.85 if treated else 0.75),
                rnd.random() < (0.05 if treated else 0.08),
            )
        )
    report = compare(outcomes)
    control, treatment = report["arms"]
    assert control.arm == "control" and treatment.arm == "treatment"
    assert control.customers + treatment.customers == 8000
    assert control.retention.low < 0.75 < control.retention.high
    assert treatment.retention.low < 0.85 < treatment.retention.high
    lift, low, high = report["retention_lift"]
    assert low > 0 and low < 0.10 < high and low < lift < high
    change, low, high = report["complaint_change"]
    assert high < 0 and low < -0.03 < high and low < change < high


def test_no_difference_gives_an_interval_around_zero():
    rnd = random.Random(5)
    outcomes = [Outcome(f"c{i}", rnd.random() < 0.8, rnd.random() < 0.1) for i in range(6000)]
    _, low, high = compare(outcomes)["retention_lift"]
    assert low < 0 < high
    assert difference(0, 0, 1, 1) == (0.0, -1.0, 1.0)


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_all_in_one_arm(share):
    expected = "treatment" if share == 1.0 else "control"
    assert {arm(f"x{i}", treatment_share=share) for i in range(500)} == {expected}
