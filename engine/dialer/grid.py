"""The simulator's grid: every algorithm on every (team, answer rate, handle time) cell.

``run_grid`` returns plain rows (one per cell and algorithm) that ``table`` prints and
``--json`` dumps; ``gap`` is the occupancy distance to the oracle in points. The fixed
ratio runs unguarded (the naive baseline: its abandon column shows why a guard is
needed); progressive never risks an abandon; predictive runs under the guard.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from engine.dialer.estimates import DialEstimates
from engine.dialer.guard import GuardConfig
from engine.dialer.pacing import FixedRatio, Pacer, Predictive, Progressive
from engine.dialer.simulate import Scenario, Simulation
from engine.dialer.traffic import Traffic

ALGORITHMS = ("progressive", "ratio", "predictive", "oracle")


@dataclass(frozen=True)
class GridOptions:
    hours: float = 1.0
    seed: int = 1
    ratio: float = 2.0
    traffic: Traffic = field(default_factory=Traffic)
    guard: GuardConfig = field(default_factory=GuardConfig)


def make_pacer(name: str, traffic: Traffic, ratio: float) -> Pacer | None:
    if name == "progressive":
        return Progressive()
    if name == "ratio":
        return FixedRatio(ratio, name=f"ratio {ratio:g}:1")
    if name == "predictive":
        return Predictive(DialEstimates(ring_timeout=traffic.ring_timeout),
                          wrapup=traffic.wrapup)
    if name == "oracle":
        return None
    raise ValueError(f"unknown algorithm {name!r}")


def run_cell(agents: int, answer_rate: float, handle_time: float,
             opts: GridOptions) -> list[dict[str, Any]]:
    traffic = replace(opts.traffic, answer_rate=answer_rate, handle_time=handle_time)
    scenario = Scenario(agents, traffic, hours=opts.hours, seed=opts.seed)
    rows = []
    for name in ALGORITHMS:
        pacer = make_pacer(name, traffic, opts.ratio)
        result = Simulation(scenario, pacer, opts.guard, guarded=name != "ratio").run()
        rows.append({"agents": agents, "answer_rate": answer_rate,
                     "handle_time": handle_time, **result.as_dict()})
    oracle = rows[-1]["occupancy"]
    for row in rows:
        row["gap"] = round((oracle - row["occupancy"]) * 100, 2)
    return rows


def run_grid(agents: Iterable[int], answer_rates: Iterable[float],
             handle_times: Iterable[float], opts: GridOptions,
             progress: Callable[[int, int, str], None] | None = None) -> list[dict[str, Any]]:
    cells = list(itertools.product(agents, answer_rates, handle_times))
    rows: list[dict[str, Any]] = []
    for i, (n, rate, handle) in enumerate(cells):
        if progress:
            progress(i, len(cells), f"{n} agents, {rate:.0%} answer, {handle:g} s")
        rows.extend(run_cell(n, rate, handle, opts))
    if progress:
        progress(len(cells), len(cells), "done")
    return rows


HEADER = (f"{'agents':>6} {'answer':>6} {'handle':>6}  {'algorithm':<12} {'occupancy':>9} "
          f"{'abandon':>7} {'connects/agent-h':>16} {'idle s/call':>11} {'gap':>6}")


def table(rows: list[dict[str, Any]]) -> str:
    lines = [HEADER, "-" * len(HEADER)]
    previous = None
    for r in rows:
        cell = (r["agents"], r["answer_rate"], r["handle_time"])
        if previous is not None and cell != previous:
            lines.append("")
        previous = cell
        lines.append(f"{r['agents']:>6} {r['answer_rate']:>6.0%} {r['handle_time']:>5g}s  "
                     f"{r['algorithm']:<12} {r['occupancy']:>9.1%} {r['abandon_rate']:>7.2%} "
                     f"{r['connects_per_agent_hour']:>16.1f} {r['idle_between']:>11.1f} "
                     f"{r['gap']:>6.1f}")
    return "\n".join(lines)
