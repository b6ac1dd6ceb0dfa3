"""Pacing: progressive = free agents, ratios, and a predictive pacer that never dials
negative or absurd numbers whatever the snapshot."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dialer.core.pacing import Allowance, FixedRatio, Predictive, Progressive, Snapshot

GO = Allowance()
TIGHT = Allowance("progressive", 0.0, 0.0)
PAUSED = Allowance("paused")


@pytest.mark.parametrize(
    ("free", "ringing", "waiting", "expected"),
    [
        (0, (), 0, 0),
        (3, (), 0, 3),
        (3, (1.0,), 0, 2),
        (3, (1.0, 2.0, 3.0, 4.0), 0, 0),  # more lines than free agents: nothing
        (5, (), 2, 3),  # live answers already waiting take agents
    ],
)
def test_progressive_is_one_line_per_free_agent(free, ringing, waiting, expected):
    snap = Snapshot(0.0, free, ringing=ringing, waiting=waiting)
    assert Progressive().dials(snap, GO) == expected
    assert Progressive().dials(snap, PAUSED) == 0


@pytest.mark.parametrize(
    ("ratio", "free", "lines", "expected"),
    [
        (2.0, 3, 0, 6),
        (2.0, 3, 4, 2),
        (2.0, 3, 9, 0),
        (1.5, 3, 0, 5),
        (3.0, 0, 0, 0),
    ],
)
def test_fixed_ratio(ratio, free, lines, expected):
    snap = Snapshot(0.0, free, ringing=(5.0,) * lines)
    assert FixedRatio(ratio).dials(snap, GO) == expected


def test_ratio_and_predictive_fall_back_to_progressive_when_the_guard_says_so():
    snap = Snapshot(0.0, 4, ringing=(2.0,))
    assert FixedRatio(3.0).dials(snap, TIGHT) == 3
    assert Predictive().dials(snap, TIGHT) == 3
    assert Predictive().dials(snap, PAUSED) == 0


def warmed(**kw):
    """A pacer past its warm-up: it trusts its estimates (here, the priors)."""
    return Predictive(wrapup=5.0, warm_dials=0, warm_calls=0, **kw)


def test_predictive_dials_ahead_for_idle_agents_but_not_without_agents():
    pacer = warmed()
    idle = pacer.dials(Snapshot(0.0, 10), Allowance(risk=0.02))
    assert idle > 10  # more lines than agents: most will not answer
    assert pacer.dials(Snapshot(0.0, 0), Allowance(risk=0.02)) == 0


def test_predictive_dials_before_agents_finish_their_calls():
    pacer = warmed()
    early = Snapshot(0.0, 0, talking=(5.0,) * 20)  # calls just started
    late = Snapshot(0.0, 0, talking=(600.0,) * 20)  # long past the typical call
    wrapping = Snapshot(0.0, 0, talking=(5.0,) * 18, wrapping=(1.0, 1.0))
    allowance = Allowance(risk=0.05)
    assert pacer.dials(late, allowance) >= pacer.dials(early, allowance)
    assert pacer.dials(wrapping, allowance) > pacer.dials(early, allowance)


def test_predictive_respects_the_lines_cap_and_the_pipeline_budget():
    snap = Snapshot(0.0, 50)
    assert Predictive(max_lines=30).dials(snap, GO) <= 30
    frugal = Predictive().dials(snap, Allowance(risk=0.2, max_expected_abandons=0.0))
    assert frugal == 50  # the progressive floor carries no risk


def test_more_risk_allowed_never_means_fewer_dials():
    pacer = warmed()
    snap = Snapshot(0.0, 2, talking=(60.0, 90.0, 200.0), ringing=(3.0, 12.0))
    counts = [pacer.dials(snap, Allowance(risk=r)) for r in (0.0, 0.01, 0.05, 0.2)]
    assert counts == sorted(counts)


def test_a_new_pacer_dials_progressively_until_its_estimates_have_data():
    fresh, snap = Predictive(wrapup=5.0), Snapshot(0.0, 10)
    assert fresh.dials(snap, Allowance(risk=0.05)) == 10
    assert fresh.limited_by == "warming up"
    for i in range(fresh.warm_dials):
        fresh.record_dial(float(i), 25.0, "no-answer")
    assert fresh.dials(Snapshot(200.0, 10), Allowance(risk=0.05)) > 10


def test_talking_agents_count_as_busy_until_enough_calls_have_ended():
    """Before ``warm_calls`` calls have ended the talk estimate is the prior: no agent
    in a call is expected to be free soon, so nothing is dialled for them."""
    snap = Snapshot(1000.0, 0, talking=(170.0,) * 20)
    cold = Predictive(wrapup=5.0, warm_dials=0)
    assert cold.dials(snap, Allowance(risk=0.2)) == 0
    for i in range(cold.warm_calls):
        cold.record_talk(900.0 + i, 175.0 + i)
    assert cold.dials(snap, Allowance(risk=0.2)) > 0


def test_the_pipeline_is_stressed_more_while_few_dials_are_known():
    pacer, allowance = Predictive(), Allowance(stress=1.5)
    assert pacer.stress(allowance) == pytest.approx(1.5 * (1 + pacer.warm_dials))
    for i in range(10 * pacer.warm_dials):
        pacer.record_dial(float(i), 25.0, "no-answer")
    assert pacer.stress(allowance) == pytest.approx(1.5 * 1.1)


ages = st.lists(st.floats(0, 40, allow_nan=False), max_size=60)


@settings(max_examples=60, deadline=None)
@given(
    free=st.integers(0, 120),
    talking=st.lists(st.floats(0, 5000), max_size=120),
    wrapping=st.lists(st.floats(-1, 10), max_size=20),
    ringing=ages,
    detecting=st.lists(st.floats(0, 5), max_size=10),
    waiting=st.integers(0, 5),
    risk=st.floats(0, 1),
    budget=st.one_of(st.just(math.inf), st.floats(0, 50)),
    stress=st.floats(1, 3),
    now=st.floats(0, 1e7),
)
def test_predictive_never_dials_negative_or_absurd(
    free, talking, wrapping, ringing, detecting, waiting, risk, budget, stress, now
):
    snap = Snapshot(now, free, talking, wrapping, ringing, detecting, waiting)
    pacer = Predictive(wrapup=5.0, max_lines=400)
    n = pacer.dials(snap, Allowance("predictive", risk, budget, stress))
    agents = free + len(talking) + len(wrapping)
    assert 0 <= n <= max(0, 400 - snap.lines)
    assert n <= math.ceil(3 * agents / 0.01)
    if agents == 0:
        assert n == 0
    assert n >= min(Progressive().dials(snap, GO), max(0, 400 - snap.lines))


@settings(max_examples=60, deadline=None)
@given(free=st.integers(0, 50), ringing=ages, waiting=st.integers(0, 5))
def test_progressive_never_exceeds_free_agents(free, ringing, waiting):
    snap = Snapshot(0.0, free, ringing=ringing, waiting=waiting)
    n = Progressive().dials(snap, GO)
    assert n == max(0, free - waiting - len(ringing))
