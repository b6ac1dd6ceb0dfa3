"""Hanging up lines still ringing that a person would be abandoned on: never before 15 s
of ringing, only when the model says no agent would be free, learnt as censored (not as
no answers), counted on the safe side when someone answered as the line was hung up,
and, on identical traffic, fewer abandons for the same occupancy."""

import itertools
from dataclasses import replace

import numpy as np
import pytest

from engine.dialer.core.estimates import DialEstimates
from engine.dialer.core.guard import AbandonGuard
from engine.dialer.core.pacing import Allowance, Predictive, Snapshot
from engine.dialer.simulator.simulate import Scenario, Simulation
from engine.dialer.simulator.traffic import ContactStream, Traffic
from engine.settings import SettingsError, load

RISKY = Allowance(risk=0.02)
AGES = (3.0, 8.0, 14.9, 15.0, 20.0)


def warmed(**kw):
    return Predictive(wrapup=5.0, warm_dials=0, warm_calls=0, **kw)


def test_no_agent_coming_free_hangs_up_only_the_lines_that_rang_15_s():
    busy = Snapshot(0.0, 0, talking=(10.0,) * 20, ringing=AGES)
    assert warmed().cancels(busy, RISKY) == [3, 4]


def test_lines_agents_are_free_for_keep_ringing():
    assert warmed().cancels(Snapshot(0.0, 10, ringing=AGES), RISKY) == []


def test_the_more_risk_allowed_the_fewer_lines_hung_up():
    busy = Snapshot(0.0, 1, talking=(150.0,) * 19, ringing=(2.0,) * 6 + (16.0, 18.0, 22.0))
    pacer = warmed()
    cut = [set(pacer.cancels(busy, Allowance(risk=r))) for r in (0.0, 0.01, 0.05, 0.25)]
    assert cut[0] and all(a >= b for a, b in itertools.pairwise(cut))
    assert cut[-1] < cut[0]


def test_never_sooner_than_15_s_never_when_off_and_not_while_warming_up():
    busy = Snapshot(0.0, 0, talking=(10.0,) * 20, ringing=AGES)
    assert warmed(cancel_after=None).cancels(busy, RISKY) == []
    assert Predictive().cancels(busy, RISKY) == []  # no dials seen yet
    assert warmed(cancel_after=20.0).cancels(busy, RISKY) == [4]
    with pytest.raises(ValueError, match="at least 15"):
        Predictive(cancel_after=10.0)


def test_the_setting_refuses_less_than_15_s_and_0_turns_it_off():
    with pytest.raises(SettingsError, match="dialer_cancel_after"):
        load(None, environ={"ENGINE_DIALER_CANCEL_AFTER": "10"})
    assert load(None, environ={"ENGINE_DIALER_CANCEL_AFTER": "0"}).dialer_cancel_after == 0
    assert load(None, environ={}).dialer_cancel_after == 15.0


def test_hung_up_lines_are_censored_so_late_answers_are_still_expected():
    """Half the lines still ringing at 15 s are hung up. Counted as censored, the chance
    that a line ringing at 15 s is a person later stays what the full record says; counted
    as ended (a no answer at 15 s), it would look like late answers never come."""
    stream = ContactStream(Traffic(), 3)
    truth, cut, wrong = (DialEstimates(half_life=1e9) for _ in "abc")  # no forgetting
    for i in range(20000):
        outcome, ring, amd = stream[i].outcome(0.3, 25.0)
        truth.record_dial(i + ring, ring, outcome, amd)
        if ring > 15.0 and i % 2:
            cut.record_cancel(i + 15.0, 15.0)
            wrong.record_dial(i + 15.0, 15.0, "no-answer")
        else:
            cut.record_dial(i + ring, ring, outcome, amd)
            wrong.record_dial(i + ring, ring, outcome, amd)
    late = [
        est.live_by(20100.0, np.array([15.0]), np.arange(0.0, 15.0))[0, -1]
        for est in (truth, cut, wrong)
    ]
    assert late[0] > 0.04
    assert late[1] == pytest.approx(late[0], rel=0.1)
    assert late[2] < late[0] * 0.75
    assert cut.live_rate(20100.0) == pytest.approx(truth.live_rate(20100.0), abs=0.005)


def test_an_answer_as_the_line_is_hung_up_counts_as_abandoned_and_rests_72_h():
    guard = AbandonGuard()
    guard.live_answer("a", "100", 0.0, "agent-1")
    abandon = guard.cut_off("b", "200", 1.0)
    assert (abandon.call_id, abandon.number) == ("b", "200")
    assert guard.rate(1.0) == pytest.approx(0.5)
    assert not guard.redial_allowed("200", 3600.0, agent_reserved=False)


def test_on_the_same_traffic_hanging_up_cuts_abandons_at_the_same_occupancy():
    """20 agents, 30% answer, 120 s calls, the same marginal risk, three seeds of 2 h."""
    traffic = replace(Traffic(), answer_rate=0.3, handle_time=120.0)

    def run(seed, cancel_after):
        pacer = Predictive(DialEstimates(), wrapup=5.0, cancel_after=cancel_after)
        return Simulation(
            Scenario(20, traffic, hours=2.0, seed=seed),
            pacer,
            guarded=False,
            unguarded=Allowance(risk=0.02),
        ).run()

    keep, cut = ([run(seed, after) for seed in (1, 2, 3)] for after in (None, 15.0))
    assert all(r.cancelled == 0 for r in keep)
    assert all(0 < r.cancelled_live < r.cancelled < r.dials for r in cut)
    assert sum(r.abandoned for r in cut) < 0.7 * sum(r.abandoned for r in keep)
    assert np.mean([r.occupancy for r in cut]) > np.mean([r.occupancy for r in keep]) - 0.01
