"""The guard with a dialling plan: the budget counts, cautiously, the live answers the rest
of the plan will bring; risk stops whenever the window's own rate is over the limit; at
the end of the plan it is the instant rule again. Time is plain seconds."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dialer.core.guard import AbandonGuard, GuardConfig
from engine.dialer.core.window import Plan

HOUR = 3600.0
LIMIT = GuardConfig().limit


def answer(guard, at, abandoned=False, name="c"):
    """One live answer at ``at``: served at once, or held and abandoned 2 s later."""
    guard.live_answer(f"{name}{at}", "100", at, None if abandoned else "a")
    if abandoned:
        guard.expire(at + guard.config.grace)


def steady(guard, per_minute, minutes, start=0.0):
    """Live answers at a steady pace, all served; returns the time after the last."""
    step = 60.0 / per_minute
    t = start
    while t < start + minutes * 60.0:
        answer(guard, t)
        t += step
    return t


def test_the_plan_counts_a_cautious_share_of_the_live_answers_still_to_come():
    plan = Plan(0.0, HOUR, horizon=HOUR, share=0.5)
    for i in range(600):  # 1 live answer a second for 10 minutes
        plan.live(float(i))
    ahead = plan.ahead(600.0)
    assert 0 < ahead < 0.5 * 1.0 * (HOUR - 600.0)  # below half the true pace
    assert plan.ahead(600.0, horizon=60.0) < ahead
    assert plan.ahead(HOUR) == 0.0 and plan.ahead(HOUR + 5) == 0.0


def test_the_first_wave_of_a_cold_start_does_not_look_like_the_pace():
    """Every agent free at once gives a burst of live answers in the first seconds; the
    rate is read over at least ``settle`` seconds, so the burst is not extrapolated."""
    plan = Plan(0.0, HOUR, horizon=HOUR)
    for i in range(30):
        plan.live(i * 0.5)
    assert plan.rate(20.0) <= 0.5 * 30 / plan.settle


def test_a_plan_lets_a_new_campaign_go_predictive_within_minutes():
    planned, instant = AbandonGuard(), AbandonGuard()
    planned.plan(0.0, 2 * HOUR)
    now = steady(planned, 6, 5)
    steady(instant, 6, 5)
    assert planned.allowance(now).mode == "predictive"
    assert instant.allowance(now).mode == "progressive"  # 30 of the 65 it needs
    assert instant.expected_live(now) == 0.0 < planned.expected_live(now)


def test_at_the_end_of_the_plan_it_is_the_instant_rule_again():
    planned, instant = AbandonGuard(), AbandonGuard()
    planned.plan(0.0, 600.0)
    for guard in (planned, instant):
        now = steady(guard, 6, 10)
    assert planned.expected_live(now) == 0.0
    assert planned.allowance(now) == instant.allowance(now)
    planned.plan(now, None)
    assert planned.expected_live(now) == 0.0


def test_no_risk_while_the_windows_own_rate_is_over_the_limit():
    guard = AbandonGuard()
    guard.plan(0.0, 8 * HOUR)
    now = steady(guard, 20, 30)  # 600 live answers, a long plan ahead
    for i in range(19):  # 19 / 619 > 3%
        answer(guard, now + i * 3, abandoned=True, name="x")
    now += 60
    live, abandoned = guard.counts.totals(now)
    assert abandoned > LIMIT * live
    assert guard.affordable(live, abandoned, guard.expected_live(now)) > guard.config.reserve
    assert guard.allowance(now).mode == "progressive"


def test_bad_luck_lowers_the_target_and_good_luck_does_not_raise_it():
    guard = AbandonGuard()
    goal = guard.config.target_share * LIMIT
    assert guard.target(0.0) == goal  # no plan: the fixed goal
    guard.plan(0.0, 2 * HOUR)
    now = steady(guard, 10, 20)
    assert guard.target(now) == pytest.approx(goal)  # no abandon yet: not above
    for i in range(10):  # 10 of ~210: more than the pace allows
        answer(guard, now + 3 * i, abandoned=True, name="x")
    assert guard.target(now + 40) < goal


histories = st.lists(st.tuples(st.floats(0.5, 30.0), st.booleans()), min_size=1, max_size=300)


@settings(max_examples=60, deadline=None)
@given(history=histories, until=st.floats(60.0, 4 * HOUR), limit=st.sampled_from([0.01, 0.03]))
def test_with_a_plan_risk_needs_the_reserve_and_the_rate_within_the_limit(history, until, limit):
    """Whatever the history, a predictive allowance with a plan means: the window's own
    rate is within the limit, the reserve is covered by the window's live answers plus
    those counted on, and the target is never above ``target_share`` of the limit."""
    guard = AbandonGuard(GuardConfig(limit=limit))
    guard.plan(0.0, until)
    now = 0.0
    for i, (gap, abandoned) in enumerate(history):
        now += gap
        answer(guard, now, abandoned and i % 3 == 0, name=str(i))
        now += 2.0
        allowance = guard.allowance(now)
        live, ab = guard.counts.totals(now)
        assert guard.target(now) <= guard.config.target_share * limit + 1e-12
        if allowance.mode == "predictive":
            assert ab <= limit * live
            assert guard.affordable(live, ab, guard.expected_live(now)) >= guard.config.reserve
            assert 0 <= allowance.risk <= guard.config.risk_max
        else:
            assert allowance.risk == 0
