"""The bar on a reduced grid: predictive keeps the abandon rate within the limit in every
cell and lifts occupancy above progressive (well above with 20 agents), with the guard the
engine runs (the instant rule) and with a planned budget. One seeded, deterministic
simulated hour per cell (the full grid and its figures: docs/dialer.md)."""

import itertools

import pytest

from engine.dialer.simulator.grid import GridOptions, make_pacer
from engine.dialer.simulator.simulate import Scenario, Simulation
from engine.dialer.simulator.traffic import Traffic

LIMIT = GridOptions().guard.limit
CELLS = [*itertools.product((5, 20), (0.15, 0.30, 0.60), (120.0, 300.0)), (100, 0.30, 120.0)]


def run(algorithm, agents, answer_rate, handle, planned=True):
    traffic = Traffic(answer_rate=answer_rate, handle_time=handle)
    scenario = Scenario(agents, traffic, hours=1.0, seed=1, planned=planned)
    return Simulation(scenario, make_pacer(algorithm, traffic, 2.0)).run()


@pytest.mark.parametrize(("agents", "answer_rate", "handle"), CELLS)
def test_predictive_stays_within_the_limit_and_above_progressive(agents, answer_rate, handle):
    predictive = run("predictive", agents, answer_rate, handle)
    progressive = run("progressive", agents, answer_rate, handle)
    assert predictive.abandoned <= LIMIT * predictive.live
    assert progressive.abandoned == 0
    assert predictive.occupancy >= progressive.occupancy - 0.005
    if agents >= 20:
        assert predictive.occupancy >= progressive.occupancy + 0.03
    if agents >= 20 and answer_rate <= 0.30:
        assert predictive.occupancy >= progressive.occupancy + 0.09


@pytest.mark.parametrize(("agents", "answer_rate", "handle"), CELLS)
def test_the_engines_instant_guard_stays_within_the_limit(agents, answer_rate, handle):
    predictive = run("predictive", agents, answer_rate, handle, planned=False)
    progressive = run("progressive", agents, answer_rate, handle, planned=False)
    assert predictive.abandoned <= LIMIT * predictive.live
    assert predictive.occupancy >= progressive.occupancy - 0.005
    if agents >= 20 and answer_rate <= 0.30:
        assert predictive.occupancy >= progressive.occupancy + 0.03
