"""The simulator: deterministic for a seed, identical traffic for every algorithm, and
the baselines behave as their definitions say."""

from dataclasses import replace

import pytest

from engine.dialer.simulator.grid import ALGORITHMS, GridOptions, make_pacer, run_cell, table
from engine.dialer.simulator.simulate import Scenario, Simulation
from engine.dialer.simulator.traffic import CHUNK, ContactStream, Traffic

TRAFFIC = Traffic(answer_rate=0.3, handle_time=120.0)


def run(algorithm, agents=8, hours=0.25, seed=7, traffic=TRAFFIC, **kw):
    sim = Simulation(
        Scenario(agents, traffic, hours=hours, seed=seed, **kw),
        make_pacer(algorithm, traffic, 2.0),
        guarded=algorithm != "ratio",
    )
    return sim, sim.run()


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_seed_gives_the_same_run_twice(algorithm):
    assert run(algorithm)[1] == run(algorithm)[1]


def test_another_seed_gives_other_traffic():
    assert run("progressive", seed=1)[1] != run("progressive", seed=2)[1]


def test_contacts_do_not_depend_on_how_many_are_drawn_or_in_which_order():
    a, b = ContactStream(TRAFFIC, 3), ContactStream(TRAFFIC, 3)
    late = [b[i] for i in (CHUNK * 2 + 5, 17, CHUNK + 1)]
    assert late == [a[CHUNK * 2 + 5], a[17], a[CHUNK + 1]]


def test_every_algorithm_meets_the_same_people():
    """Whatever the pacing, the n-th dial of every algorithm reaches the same contact, with
    the same outcome, ring time and talk time."""
    seen = {}
    for algorithm in ("progressive", "ratio", "predictive"):
        sim = Simulation(
            Scenario(8, TRAFFIC, hours=0.25, seed=7), make_pacer(algorithm, TRAFFIC, 2.0)
        )
        outcomes = []
        dial = sim.dial

        def spy(now, index=None, dial=dial, sim=sim, outcomes=outcomes):
            dial(now, index)
            last = sim.next_contact - 1
            outcomes.append((last, sim.lines[last], sim.contacts[last].talk))

        sim.dial = spy
        sim.run()
        seen[algorithm] = outcomes
    shortest = min(len(v) for v in seen.values())
    assert shortest > 50
    firsts = [v[:shortest] for v in seen.values()]
    assert firsts[0] == firsts[1] == firsts[2]


def test_the_traffic_has_the_asked_answer_rate_machines_and_handle_time():
    stream = ContactStream(TRAFFIC, 11)
    outcomes = [stream[i].outcome(0.3, 25.0)[0] for i in range(20000)]
    answered = sum(o in ("live", "machine") for o in outcomes) / len(outcomes)
    machines = outcomes.count("machine") / max(1, answered * len(outcomes))
    talk = sum(stream[i].talk for i in range(20000)) / 20000
    assert answered == pytest.approx(0.3, abs=0.01)
    assert machines == pytest.approx(0.25, abs=0.02)
    assert talk == pytest.approx(TRAFFIC.talk_mean, rel=0.03)


def test_progressive_and_the_oracle_never_abandon_and_the_oracle_is_an_upper_bound():
    _, prog = run("progressive", agents=10, hours=0.5)
    _, oracle = run("oracle", agents=10, hours=0.5)
    _, pred = run("predictive", agents=10, hours=0.5)
    assert prog.abandoned == oracle.abandoned == 0
    assert oracle.occupancy > 0.9
    assert oracle.occupancy > pred.occupancy >= prog.occupancy * 0.95
    assert 0 <= pred.abandon_rate <= 0.03


def test_machines_never_take_an_agent():
    traffic = replace(TRAFFIC, machine_share=1.0)
    _, result = run("ratio", traffic=traffic)
    assert result.live == 0 and result.occupancy == 0.0 and result.dials > 0


def test_logged_out_agents_stop_counting():
    _, everyone = run("progressive", agents=10, hours=0.5)
    _, half = run("progressive", agents=10, hours=0.5, logouts=((900.0, 5),))
    assert half.live < everyone.live


def test_grid_rows_and_table():
    rows = run_cell(4, 0.6, 300.0, GridOptions(hours=0.1, seed=2))
    assert [r["algorithm"] for r in rows] == ["progressive", "ratio 2:1", "predictive", "oracle"]
    assert rows[-1]["gap"] == 0.0
    assert all(
        r["gap"] == pytest.approx((rows[-1]["occupancy"] - r["occupancy"]) * 100, abs=0.01)
        for r in rows
    )
    text = table(rows)
    assert "predictive" in text and "oracle" in text and "%" in text


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_talk_wrap_up_and_idle_by_cause_add_up_to_the_logged_in_time(algorithm):
    _, result = run(algorithm, warmup=300.0)
    for r in (result, result.steady):
        assert r.occupancy + r.wrap_share + sum(r.idle_by_cause.values()) == pytest.approx(1.0)
    if algorithm == "predictive":
        assert set(result.idle_by_cause) <= {
            "guard progressive",
            "guard cushion",
            "risk",
            "pipeline",
            "floor",
            "lines",
            "warming up",
            "start",
        }


def test_the_warm_up_adds_steady_state_figures_and_leaves_the_cold_start_ones():
    _, cold = run("predictive", hours=0.5)
    _, warm = run("predictive", hours=0.5, warmup=600.0)
    assert cold.steady is None
    assert {
        k: v for k, v in warm.as_dict().items() if not k.startswith("steady_")
    } == cold.as_dict()
    assert warm.steady.live < warm.live and warm.steady.dials < warm.dials
    assert "steady_occupancy" in warm.as_dict()


def test_a_planned_run_tells_the_guard_when_dialling_ends():
    sim = Simulation(
        Scenario(8, TRAFFIC, hours=0.5, seed=7, planned=True),
        make_pacer("predictive", TRAFFIC, 2.0),
    )
    assert sim.guard.expected_live(0.0) == 0.0 and sim.guard.target(0.0) > 0
    sim.run()
    assert sim.guard.expected_live(1799.0) < sim.guard.expected_live(900.0)


def test_known_ends_reports_every_call_as_if_in_wrap_up():
    """The ``known ends`` pacer sees no agent in a call of unknown length: each busy agent
    comes with the exact seconds until it is free."""
    pacer = make_pacer("known ends", TRAFFIC, 2.0)
    seen = []
    dials = pacer.dials

    def spy(snap, allowance):
        seen.append(snap)
        return dials(snap, allowance)

    pacer.dials = spy
    sim = Simulation(Scenario(8, TRAFFIC, hours=0.25, seed=7), pacer, known_ends=True)
    sim.run()
    assert all(not s.talking for s in seen)
    assert any(len(s.wrapping) > 3 for s in seen)
    assert all(w > -1e-9 for s in seen for w in s.wrapping)


def test_known_answers_dials_only_people_and_keeps_every_line():
    """The ``known answers`` pacer reaches a person with every dial (not knowing when they
    answer or how long they talk) and never hangs one up; the plain pacer meets the same
    contacts with all their no answers, busy lines and machines."""
    scenario = Scenario(8, TRAFFIC, hours=0.5, seed=7)
    sim = Simulation(scenario, make_pacer("known answers", TRAFFIC, 2.0), known_answers=True)
    known = sim.run()
    in_flight = len(sim.ringing) + len(sim.detecting)
    assert known.dials == known.live + in_flight and known.cancelled == 0
    plain = Simulation(scenario, make_pacer("predictive", TRAFFIC, 2.0)).run()
    assert plain.dials > 2 * plain.live
    assert known.occupancy > plain.occupancy
