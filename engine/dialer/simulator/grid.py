"""The simulator's grid: every algorithm on every (team, answer rate, handle time) cell.

``run_grid`` returns plain rows (one per cell and algorithm) that ``table`` prints and
``--json`` dumps; ``gap`` is the occupancy distance to the oracle in points. The fixed
ratio runs unguarded (the naive baseline: its abandon column shows why a guard is
needed); progressive never risks an abandon; predictive runs under the guard as the engine runs
it (the instant rule); ``planned`` tells it the run is planned to its end
(``guard.plan``). ``known_ends`` adds the same predictive pacer told when
every call will end (what knowing the agents about to be free exactly is worth);
``known_answers`` adds it dialling only the contacts a person will answer, not knowing
when (what the answer lottery costs), and with both, the pacer told both;
``fixed_risk`` runs the predictive pacers without the guard at that marginal risk (their
occupancy against abandon rate: the efficiency frontier, whatever the guard does).
With ``warmup`` every row also has ``steady_*`` figures, from the warm-up on.
``cancel_after`` is when the predictive pacer may hang up a line still ringing that a
person answering would likely find no agent for (the engine's default, 15 s; None:
never); ``cancelled`` counts those lines, ``cancelled_live`` the ones a person would
have answered later.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from engine.dialer.core.actions import MIN_RING_SECONDS
from engine.dialer.core.estimates import DialEstimates
from engine.dialer.core.guard import GuardConfig
from engine.dialer.core.pacing import Allowance, FixedRatio, Pacer, Predictive, Progressive
from engine.dialer.simulator.simulate import Scenario, Simulation
from engine.dialer.simulator.traffic import Traffic

ALGORITHMS = ("progressive", "ratio", "predictive", "oracle")
KNOWN_ENDS = "known ends"
KNOWN_ANSWERS = "known answers"
KNOWN_BOTH = "known both"
INFORMED = (KNOWN_ENDS, KNOWN_ANSWERS, KNOWN_BOTH)  # the predictive pacer told more


@dataclass(frozen=True)
class GridOptions:
    hours: float = 1.0
    seed: int = 1
    ratio: float = 2.0
    traffic: Traffic = field(default_factory=Traffic)
    guard: GuardConfig = field(default_factory=GuardConfig)
    warmup: float = 0.0  # seconds; > 0 adds the steady_* figures
    planned: bool = False  # True: the guard knows dialling is planned to the end
    known_ends: bool = False  # add the predictive pacer told when calls end
    known_answers: bool = False  # add it dialling only contacts a person answers
    fixed_risk: float | None = None  # predictive pacers unguarded at this marginal risk
    cancel_after: float | None = MIN_RING_SECONDS  # predictive hangs up risky lines that
    # rang this long (None: never), as the engine does


def make_pacer(
    name: str, traffic: Traffic, ratio: float, cancel_after: float | None = MIN_RING_SECONDS
) -> Pacer | None:
    if name == "progressive":
        return Progressive()
    if name == "ratio":
        return FixedRatio(ratio, name=f"ratio {ratio:g}:1")
    if name == "predictive" or name in INFORMED:
        return Predictive(
            DialEstimates(ring_timeout=traffic.ring_timeout),
            wrapup=traffic.wrapup,
            name=name,  # every line of the pacers that
            cancel_after=None
            if name in (KNOWN_ANSWERS, KNOWN_BOTH)  # know who
            else cancel_after,
        )  # answers is a person: kept
    if name == "oracle":
        return None
    raise ValueError(f"unknown algorithm {name!r}")


def run_cell(
    agents: int, answer_rate: float, handle_time: float, opts: GridOptions
) -> list[dict[str, Any]]:
    traffic = replace(opts.traffic, answer_rate=answer_rate, handle_time=handle_time)
    scenario = Scenario(
        agents, traffic, hours=opts.hours, seed=opts.seed, warmup=opts.warmup, planned=opts.planned
    )
    informed = [
        name
        for name, wanted in zip(
            INFORMED,
            (opts.known_ends, opts.known_answers, opts.known_ends and opts.known_answers),
            strict=True,
        )
        if wanted
    ]
    rows = []
    for name in [*ALGORITHMS[:3], *informed, ALGORITHMS[3]]:
        pacer = make_pacer(name, traffic, opts.ratio, opts.cancel_after)
        fixed = opts.fixed_risk is not None and (name == "predictive" or name in INFORMED)
        result = Simulation(
            scenario,
            pacer,
            opts.guard,
            guarded=name != "ratio" and not fixed,
            known_ends=name in (KNOWN_ENDS, KNOWN_BOTH),
            known_answers=name in (KNOWN_ANSWERS, KNOWN_BOTH),
            unguarded=Allowance(risk=opts.fixed_risk)
            if fixed and opts.fixed_risk is not None
            else None,
        ).run()
        rows.append(
            {
                "agents": agents,
                "answer_rate": answer_rate,
                "handle_time": handle_time,
                **result.as_dict(),
            }
        )
    for prefix in ("", "steady_") if opts.warmup else ("",):
        oracle = rows[-1][f"{prefix}occupancy"]
        for row in rows:
            row[f"{prefix}gap"] = round((oracle - row[f"{prefix}occupancy"]) * 100, 2)
    return rows


def run_grid(
    agents: Iterable[int],
    answer_rates: Iterable[float],
    handle_times: Iterable[float],
    opts: GridOptions,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[dict[str, Any]]:
    cells = list(itertools.product(agents, answer_rates, handle_times))
    rows: list[dict[str, Any]] = []
    for i, (n, rate, handle) in enumerate(cells):
        if progress:
            progress(i, len(cells), f"{n} agents, {rate:.0%} answer, {handle:g} s")
        rows.extend(run_cell(n, rate, handle, opts))
    if progress:
        progress(len(cells), len(cells), "done")
    return rows


HEADER = (
    f"{'agents':>6} {'answer':>6} {'handle':>6}  {'algorithm':<13} {'occupancy':>9} "
    f"{'abandon':>7} {'connects/agent-h':>16} {'idle s/call':>11} {'gap':>6}"
)
STEADY = f" | {'steady occ':>10} {'abandon':>7} {'gap':>6}"


def causes(row: dict[str, Any], prefix: str = "") -> str:
    """Idle time by what held the pacer back, in points of occupancy, largest first."""
    idle = row.get(f"{prefix}idle_by_cause") or {}
    top = sorted(idle.items(), key=lambda kv: -kv[1])
    return " ".join(f"{k} {v * 100:.1f}" for k, v in top if v >= 0.0005)


def table(rows: list[dict[str, Any]]) -> str:
    steady = bool(rows) and "steady_occupancy" in rows[0]
    head = HEADER + (STEADY if steady else "") + "  idle points by cause (predictive)"
    lines = [head, "-" * len(head)]
    previous = None
    for r in rows:
        cell = (r["agents"], r["answer_rate"], r["handle_time"])
        if previous is not None and cell != previous:
            lines.append("")
        previous = cell
        line = (
            f"{r['agents']:>6} {r['answer_rate']:>6.0%} {r['handle_time']:>5g}s  "
            f"{r['algorithm']:<13} {r['occupancy']:>9.1%} {r['abandon_rate']:>7.2%} "
            f"{r['connects_per_agent_hour']:>16.1f} {r['idle_between']:>11.1f} "
            f"{r['gap']:>6.1f}"
        )
        if steady:
            line += (
                f" | {r['steady_occupancy']:>10.1%} {r['steady_abandon_rate']:>7.2%} "
                f"{r['steady_gap']:>6.1f}"
            )
        if r["algorithm"] == "predictive" or r["algorithm"] in INFORMED:
            line += "  " + causes(r, "steady_" if steady else "")
            if r.get("cancelled"):
                line += f"; hung up {r['cancelled']} ({r['cancelled_live']} live)"
        lines.append(line.rstrip())
    return "\n".join(lines)
