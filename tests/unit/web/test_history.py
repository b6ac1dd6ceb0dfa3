"""The wallboard's last-hour ring (engine/web/history.py), by tables."""

from __future__ import annotations

import pytest

from engine.web import history

Q = [
    {"queue": "sales", "waiting": 3, "service_level": 87.5, "abandoned": 2},
    {"queue": "care", "waiting": 0, "service_level": None, "abandoned": 0},
]


@pytest.mark.parametrize(
    ("at", "step", "slot", "field"),
    [
        (0.0, 15.0, 0, "0"),
        (14.999, 15.0, 0, "0"),
        (15.0, 15.0, 1, "1"),
        (3600.0, 15.0, 240, "0"),  # one lap later: the same ring field
        (3615.0, 15.0, 241, "1"),
        (100.0, 10.0, 10, "10"),
    ],
)
def test_slot_and_ring_field(at: float, step: float, slot: int, field: str) -> None:
    assert history.slot_of(at, step) == slot
    assert history.ring_field(slot) == field


@pytest.mark.parametrize(
    ("campaigns", "rate"),
    [
        ([], None),
        ([{"progress": {"abandon": {"rate": 0.01, "limit": 0.03}}}], 0.01),
        (
            [{"progress": {"abandon": {"rate": 0.01}}}, {"progress": {"abandon": {"rate": 0.04}}}],
            0.04,
        ),
        (
            [{"progress": None}, {"status": "paused"}, {"progress": {"abandon": {"rate": "x"}}}],
            None,
        ),
        ([{"progress": {"abandon": {"rate": True}}}], None),
    ],
)
def test_sample_takes_the_worst_abandon_rate(campaigns: list, rate: float | None) -> None:
    assert history.sample(30.0, Q, campaigns)["abandon_rate"] == rate


def test_sample_per_queue() -> None:
    s = history.sample(31.2, Q, [])
    assert s == {
        "slot": 2,
        "at": 31.2,
        "queues": {
            "sales": {"waiting": 3, "service_level": 87.5, "abandoned": 2},
            "care": {"waiting": 0, "service_level": None, "abandoned": 0},
        },
        "abandon_rate": None,
    }


def _row(slot: int) -> dict:
    return {"slot": slot, "at": slot * 15.0}


@pytest.mark.parametrize(
    ("stored", "now", "slots"),
    [
        ([], 1000.0, []),
        ([_row(3), _row(1), _row(2)], 60.0, [1, 2, 3]),  # oldest first
        ([_row(0), _row(240)], 240 * 15.0, [240]),  # the old lap of the same field
        ([_row(1), _row(241)], 240 * 15.0, [1]),  # from the future: left out
        ([_row(10), {"slot": "x"}, {"at": 3}], 150.0, [10]),  # malformed rows
        ([_row(s) for s in range(500)], 499 * 15.0, list(range(260, 500))),  # bounded
    ],
)
def test_points_keep_the_last_hour(stored: list, now: float, slots: list[int]) -> None:
    assert [p["slot"] for p in history.points(stored, now)] == slots


def test_points_bounded_by_capacity() -> None:
    rows = [_row(s) for s in range(100)]
    assert len(history.points(rows, 99 * 15.0, capacity=10)) == 10
