"""The listening budget follows the recognizers' lag: a slot fewer while they are behind
(at most every few seconds), a slot back after a calm spell, never under the floor or over
the ceiling the calibration measured."""

from __future__ import annotations

import pytest

from engine.speech.governor import Governor


def run(gov: Governor, steps: list[tuple[float, float]]) -> list[int | None]:
    return [gov.step(lag, now) for now, lag in steps]


@pytest.mark.parametrize(
    ("steps", "expected", "budget"),
    [
        # on time: nothing changes
        ([(0, 0.0), (5, 0.05), (30, 0.2)], [None, None, None], 5),
        # behind: one slot fewer, then at most one per 3 s while still behind
        ([(0, 0.8), (1, 0.9), (3, 0.7), (4, 2.0), (6, 1.0)], [4, None, 3, None, 2], 2),
        # between calm and behind: hold
        ([(0, 0.8), (5, 0.3), (30, 0.3)], [4, None, None], 4),
        # caught up: a slot back after 10 s calm, the next after 10 s more
        (
            [(0, 0.8), (3, 0.8), (4, 0.0), (13, 0.0), (14, 0.0), (24, 0.0)],
            [4, 3, None, None, 4, 5],
            5,
        ),
        # a lag spike restarts the calm spell
        (
            [(0, 0.8), (1, 0.0), (9, 0.3), (12, 0.0), (21, 0.0), (22, 0.0)],
            [4, None, None, None, None, 5],
            5,
        ),
    ],
)
def test_budget_follows_the_lag(steps, expected, budget):
    gov = Governor(ceiling=5)
    assert run(gov, steps) == expected
    assert gov.budget == budget


def test_never_under_the_floor_or_over_the_ceiling():
    gov = Governor(ceiling=2, floor=1)
    assert run(gov, [(0, 5.0), (3, 5.0), (6, 5.0), (9, 5.0)]) == [1, None, None, None]
    assert run(gov, [(t, 0.0) for t in range(10, 100, 5)]).count(2) == 1
    assert gov.budget == 2 and gov.shrunk == 1


def test_a_new_ceiling_resets_the_budget():
    gov = Governor(ceiling=2)
    gov.step(1.0, 0.0)
    gov.rebase(6)
    assert (gov.ceiling, gov.budget) == (6, 6)
