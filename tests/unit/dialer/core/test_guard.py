"""The abandon guard on its own: the 2-second rule, the rolling window, the allowance
and the 72 h rule. Time is plain seconds; nothing sleeps."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dialer.core.actions import Abandon, Bridge, HoldFor
from engine.dialer.core.guard import DAY, UK, AbandonGuard, GuardConfig, redial_allowed
from engine.dialer.core.window import RollingCounts

HOUR = 3600.0


def served(guard, n, start=0.0):
    for i in range(n):
        guard.live_answer(f"s{start}-{i}", "100", start + i, agent_id="a")
    return start + n


def test_a_free_agent_takes_the_live_answer_at_once():
    guard = AbandonGuard()
    assert guard.live_answer("c1", "555", 10.0, agent_id="a1") == [Bridge("c1", "a1")]
    assert guard.counts.totals(10.0) == (1, 0)


def test_no_agent_within_two_seconds_is_an_abandon_with_the_identification_message():
    guard = AbandonGuard()
    assert guard.live_answer("c1", "555", 10.0) == [HoldFor("c1", 12.0)]
    assert guard.expire(11.9) == []
    assert guard.expire(12.0) == [Abandon("c1", "555", guard.config.message)]
    assert guard.counts.totals(12.0) == (1, 1)
    assert guard.agent_free("a1", 12.5) == []  # too late: nothing to bridge


def test_an_agent_freed_inside_the_grace_period_takes_the_longest_waiting_call():
    guard = AbandonGuard()
    guard.live_answer("c1", "555", 10.0)
    guard.live_answer("c2", "556", 10.5)
    assert guard.agent_free("a1", 11.0) == [Bridge("c1", "a1")]
    assert guard.waiting == 1 and guard.next_deadline() == 12.5
    assert guard.agent_free("a2", 13.0) == [Abandon("c2", "556", guard.config.message)]
    assert guard.counts.totals(13.0) == (2, 1)


def test_a_customer_hanging_up_while_waiting_counts_as_abandoned():
    guard = AbandonGuard()
    guard.live_answer("c1", "555", 10.0)
    assert [a.call_id for a in guard.hangup("c1", 11.0)] == ["c1"]
    assert guard.hangup("c1", 11.5) == []
    assert guard.counts.totals(11.5) == (1, 1)


def test_72_hours_rest_after_an_abandon_unless_an_agent_is_reserved():
    guard = AbandonGuard()
    guard.live_answer("c1", "555", 0.0)
    guard.expire(2.0)
    assert not guard.redial_allowed("555", 2.0 + 71 * HOUR)
    assert guard.redial_allowed("555", 2.0 + 71 * HOUR, agent_reserved=True)
    assert guard.redial_allowed("555", 2.0 + 72 * HOUR)
    assert guard.redial_allowed("556", 3.0)
    assert redial_allowed(None, 0.0, False)


def test_a_new_campaign_starts_progressive_and_earns_its_budget():
    guard = AbandonGuard()
    assert guard.allowance(0.0).mode == "progressive"
    now = served(guard, 64)  # 64 * 3% / 97% < 2 abandons affordable
    assert guard.allowance(now).mode == "progressive"
    now = served(guard, 10, now)
    allowance = guard.allowance(now)
    assert allowance.mode == "predictive"
    assert 0 <= allowance.risk <= guard.config.risk_max
    assert allowance.max_expected_abandons <= guard.affordable(74, 0)


def test_the_uk_window_forgets_after_24_hours():
    guard = AbandonGuard(UK)
    now = served(guard, 200)
    guard.live_answer("x", "1", now)
    guard.expire(now + 2.0)
    assert guard.counts.totals(now + 2.0) == (201, 1)
    assert guard.counts.totals(now + 2.0 + DAY + 200.0) == (0, 0)
    assert guard.allowance(now + 2.0 + DAY + 200.0).mode == "progressive"


def test_risk_falls_after_an_abandon_and_creeps_up_while_calls_are_served():
    guard = AbandonGuard()
    now = served(guard, 400)
    before = guard.risk
    now = served(guard, 50, now)
    assert guard.risk > before
    high = guard.risk
    guard.live_answer("x", "1", now)
    guard.expire(now + 2.0)
    assert guard.risk < high


outcomes = st.lists(st.booleans(), min_size=1, max_size=400)


@settings(max_examples=80, deadline=None)
@given(outcomes=outcomes, limit=st.sampled_from([0.01, 0.03, 0.05]))
def test_risk_is_only_allowed_while_two_more_abandons_keep_the_rate_within_the_limit(
    outcomes, limit
):
    """Whatever the history, a predictive allowance means that even two abandons from the
    lines already in flight would leave the window's rate at or under the limit."""
    guard = AbandonGuard(GuardConfig(limit=limit))
    for i, abandoned in enumerate(outcomes):
        guard.live_answer(str(i), str(i), float(i), None if abandoned else "a")
        guard.expire(i + 2.0)
        allowance = guard.allowance(i + 2.0)
        live, ab = guard.counts.totals(i + 2.0)
        if allowance.mode == "predictive":
            assert (ab + 2) / (live + 2) <= limit + 1e-12
            assert 0 <= allowance.risk <= guard.config.risk_max
            assert allowance.max_expected_abandons >= 0
        else:
            assert allowance.risk == 0 and allowance.max_expected_abandons == 0


@settings(max_examples=80, deadline=None)
@given(
    events=st.lists(st.tuples(st.floats(0, 5 * DAY), st.booleans()), max_size=300),
    now=st.floats(0, 8 * DAY),
)
def test_rolling_counts_never_read_below_the_exact_rate(events, now):
    counts = RollingCounts(DAY, buckets=50)
    events.sort()
    for at, abandoned in events:
        counts.add(at, abandoned)
    now = max(now, events[-1][0] if events else 0.0)
    inside = [a for t, a in events if t > now - DAY]
    live, abandoned = counts.totals(now)
    assert live <= len(inside)
    assert abandoned >= sum(inside)
    assert live >= 0 and abandoned >= 0


@pytest.mark.parametrize("window", [DAY, 30 * DAY])
def test_rolling_counts_are_exact_within_a_bucket(window):
    counts = RollingCounts(window)
    counts.add(0.0, False)
    counts.add(1.0, True)
    assert counts.totals(2.0) == (2, 1)
    assert counts.totals(window + window / 1000) == (0, 0)


def test_a_served_answer_whose_agent_failed_counts_as_abandoned_and_rests_72h():
    guard = AbandonGuard()
    for k in range(10):
        guard.live_answer(f"c{k}", f"n{k}", float(k), agent_id="a1")
    assert guard.rate(10.0) == 0.0
    abandon = guard.lost("c3", "n3", 11.0)
    assert abandon.number == "n3" and abandon.message
    assert guard.counts.totals(11.0) == (10, 1)  # no new live answer, one abandon
    assert guard.rate(11.0) == pytest.approx(0.1)
    assert not guard.redial_allowed("n3", 11.0 + 3600)
    assert guard.redial_allowed("n3", 11.0 + 72 * 3600)


def test_a_reclassified_abandon_leaves_the_window_after_its_answer():
    counts = RollingCounts(window=100.0, buckets=10)
    counts.add(0.0, abandoned=False)
    counts.reclassify(35.0)
    counts.add(36.0, abandoned=False)  # lands in the abandon's bucket
    assert counts.totals(50.0) == (2, 1)
    assert counts.totals(105.0) == (1, 1)  # the answer left first
    assert counts.totals(150.0) == (0, 0)  # then both from bucket 30-40


def test_a_verdict_learnt_late_counts_abandoned_once_whatever_happens_next():
    """The event socket was down while AMD found a person: the person may have waited
    past 2 s already, so it counts as abandoned at once and the number rests 72 h; the
    person still gets an agent in the next 2 s, without a second count either way."""
    guard = AbandonGuard()
    assert guard.live_answer("late1", "n1", 10.0, late=True) == [HoldFor("late1", 12.0)]
    assert guard.counts.totals(10.0) == (1, 1)
    assert not guard.redial_allowed("n1", 10.0 + 3600)
    assert guard.agent_free("a1", 11.0) == [Bridge("late1", "a1")]  # still served
    assert guard.counts.totals(11.0) == (1, 1), "served: no second count"
    assert guard.lost("late1", "n1", 12.0).number == "n1"  # its agent failed
    assert guard.counts.totals(12.0) == (1, 1), "lost: no second abandon"

    guard.live_answer("late2", "n2", 20.0, late=True)
    assert [a.call_id for a in guard.expire(22.5)] == ["late2"]  # no agent came
    assert guard.counts.totals(22.5) == (2, 2)
    assert guard.live_answer("late3", "n3", 30.0, "a2", late=True) == [Bridge("late3", "a2")]
    assert guard.counts.totals(30.0) == (3, 3)
    guard.forget("late3")  # the line ended
    guard.live_answer("on-time", "n4", 40.0, "a2")
    assert guard.counts.totals(40.0) == (4, 3)
