"""The overload policy: agent legs first, then partials, then caller backlog; IVR never."""

from __future__ import annotations

import pytest

from engine.speech.degrade import Policy

P = Policy(raise_at=(0.5, 1.0, 2.0), lower_ratio=0.4)


@pytest.mark.parametrize(
    "current, lag, level",
    [
        (0, 0.0, 0),
        (0, 0.49, 0),
        (0, 0.5, 1),
        (0, 1.2, 2),
        (0, 5.0, 3),
        (1, 0.3, 1),
        (1, 0.19, 0),
        (2, 0.5, 2),
        (2, 0.39, 1),
        (3, 0.9, 3),
        (3, 0.79, 2),
        (3, 0.0, 0),
    ],
)
def test_levels_rise_with_lag_and_fall_with_hysteresis(current, lag, level):
    assert P.level(current, lag) == level


def test_a_level_holds_before_it_is_lowered():
    assert P.level(2, 0.0, since_change=0.5) == 2
    assert P.level(2, 0.0, since_change=P.hold) == 0
    assert P.level(1, 1.5, since_change=0.0) == 2, "raising never waits"


def test_degradation_order():
    # level 1: agents dropped, callers and menus kept, partials still on
    assert not P.accepts(1, "agent", menu=False) and P.accepts(1, "caller", menu=False)
    assert P.partials(1)
    # level 2: partials off for everyone
    assert not P.partials(2)
    # level 3: caller free-form keeps only its newest second; menus keep the full cap
    assert P.cap(3, "caller", menu=False) == P.caller_cap < P.cap(3, "caller", menu=True)
    assert P.accepts(3, "caller", menu=True) and P.accepts(3, "agent", menu=True)


def test_menus_are_served_first_then_callers_then_agents():
    assert P.priority("caller", True) < P.priority("caller", False) < P.priority("agent", False)
