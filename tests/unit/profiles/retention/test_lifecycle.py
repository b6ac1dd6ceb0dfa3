"""Lifecycle stage from order history, with the strategy for each stage."""

from __future__ import annotations

import pytest

from engine.profiles.retention.lifecycle import DAY, STRATEGIES, stage_of
from engine.profiles.value import Order

NOW = 1_800_000_000.0


def _orders(*spec: tuple[float, float, str]) -> list[Order]:
    return [
        Order(f"o{i}", NOW - days * DAY, amount, status=status)
        for i, (days, amount, status) in enumerate(spec)
    ]


@pytest.mark.parametrize(
    ("first_seen_days", "orders", "stage"),
    [
        (30, [(10, 100, "delivered")], "new"),
        (400, [(10, 300, "delivered"), (120, 100, "delivered")], "growing"),
        (400, [(10, 100, "delivered"), (120, 100, "delivered")], "mature"),
        (400, [(10, 50, "delivered"), (120, 100, "delivered")], "declining"),
        (400, [(200, 100, "delivered")], "declining"),  # stopped ordering
        (400, [(10, 100, "delivered"), (20, 500, "refunded"), (120, 100, "delivered")], "mature"),
        (400, [], "mature"),  # never ordered: nothing to lose
    ],
)
def test_stage_table(first_seen_days, orders, stage):
    life = stage_of(_orders(*orders), NOW - first_seen_days * DAY, NOW)
    assert life.stage == stage
    assert life.strategy == STRATEGIES[stage]


def test_every_stage_has_a_strategy():
    assert set(STRATEGIES) == {"new", "growing", "mature", "declining"}
    assert len(set(STRATEGIES.values())) == 4
