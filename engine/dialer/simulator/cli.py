"""`python -m engine dialer simulate`: the pacing simulator over a grid of scenarios; the
campaign commands (create, import, start...) are in ``campaigns/cli.py``, both registered
by ``engine/dialer/cli.py``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from engine.dialer.core.actions import MIN_RING_SECONDS
from engine.dialer.core.guard import GuardConfig
from engine.dialer.simulator.grid import GridOptions, run_grid, table
from engine.dialer.simulator.traffic import Traffic


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def _rates(text: str) -> list[float]:
    """``15,30,60``, ``15%,30%`` or ``0.15,0.3``: answer rates as fractions."""
    out = []
    for x in text.split(","):
        value = float(x.strip().rstrip("%"))
        out.append(value / 100 if value > 1 or x.strip().endswith("%") else value)
    if not all(0 < r <= 1 for r in out):
        raise argparse.ArgumentTypeError(f"answer rates must be in (0, 100%]: {text}")
    return out


def register_commands(dsub: Any) -> None:
    sim = dsub.add_parser(
        "simulate",
        help="compare pacing algorithms on identical simulated traffic",
        description="Runs progressive, fixed-ratio, predictive pacing and an oracle on the "
        "same seeded contacts for every (team, answer rate, handle time) cell.",
    )
    sim.add_argument("--hours", type=float, default=1.0, help="simulated hours per run (1)")
    sim.add_argument("--seed", type=int, default=1, help="traffic seed (1)")
    sim.add_argument("--agents", type=_ints, default=[5, 20, 100], help="team sizes (5,20,100)")
    sim.add_argument(
        "--answer-rates",
        type=_rates,
        default=[0.15, 0.30, 0.60],
        help="share of dials answered by a person or machine (15,30,60)",
    )
    sim.add_argument(
        "--handle-times",
        type=_floats,
        default=[120.0, 300.0],
        help="mean seconds per call, talk plus wrap-up (120,300)",
    )
    sim.add_argument("--wrapup", type=float, default=5.0, help="wrap-up seconds per call (5)")
    sim.add_argument(
        "--machines",
        type=float,
        default=0.25,
        help="share of answers that are answering machines (0.25)",
    )
    sim.add_argument("--ratio", type=float, default=2.0, help="lines per free agent, ratio (2)")
    sim.add_argument("--limit", type=float, default=0.03, help="abandon-rate limit (0.03)")
    sim.add_argument(
        "--warmup",
        type=float,
        default=0.0,
        help="minutes of warm-up: also report steady state from there on (0)",
    )
    sim.add_argument(
        "--planned",
        action="store_true",
        help="plan the abandon budget to the end of the run (guard.plan; the "
        "engine does not: its guard keeps the rate within the limit at "
        "every moment)",
    )
    sim.add_argument(
        "--known-ends",
        action="store_true",
        help="add the predictive pacer told when every call will end",
    )
    sim.add_argument(
        "--known-answers",
        action="store_true",
        help="add the predictive pacer dialling only the contacts a person will "
        "answer (not knowing when): what the answer lottery costs; with "
        "--known-ends also the pacer told both",
    )
    sim.add_argument(
        "--fixed-risk",
        type=float,
        default=None,
        metavar="R",
        help="run the predictive pacers without the guard at marginal risk R "
        "(the efficiency frontier; abandons are not held to the limit)",
    )
    sim.add_argument(
        "--cancel-after",
        type=float,
        default=MIN_RING_SECONDS,
        metavar="S",
        help="the predictive pacer may hang up a line still ringing after S "
        "seconds when a person answering then would likely find no agent "
        "(at least 15; 0: never; the engine's default: 15)",
    )
    sim.add_argument("--json", action="store_true", help="print the table as JSON")
    sim.set_defaults(func=_simulate)


def _progress(started: float) -> Callable[[int, int, str], None]:
    def report(done: int, total: int, label: str) -> None:
        elapsed = time.monotonic() - started
        end = "\n" if done == total or not sys.stderr.isatty() else "\r"
        print(
            f"[{done}/{total}] {label} ({elapsed:.0f} s)".ljust(60),
            end=end,
            file=sys.stderr,
            flush=True,
        )

    return report


def _simulate(args: argparse.Namespace) -> int:
    if args.hours <= 0 or not 0 < args.limit < 1 or args.wrapup < 0:
        print("--hours must be positive, --limit in (0, 1), --wrapup >= 0", file=sys.stderr)
        return 2
    if args.fixed_risk is not None and not 0 <= args.fixed_risk <= 1:
        print("--fixed-risk must be in [0, 1]", file=sys.stderr)
        return 2
    if args.cancel_after and args.cancel_after < MIN_RING_SECONDS:
        print(
            f"--cancel-after must be 0 (never) or at least {MIN_RING_SECONDS:g} s", file=sys.stderr
        )
        return 2
    if not 0 <= args.warmup < args.hours * 60:
        print("--warmup must be >= 0 and shorter than --hours", file=sys.stderr)
        return 2
    if min(args.handle_times) <= args.wrapup + 5:
        print("--handle-times must exceed the wrap-up by more than 5 s", file=sys.stderr)
        return 2
    traffic = replace(Traffic(), wrapup=args.wrapup, machine_share=args.machines)
    opts = GridOptions(
        hours=args.hours,
        seed=args.seed,
        ratio=args.ratio,
        traffic=traffic,
        guard=GuardConfig(limit=args.limit),
        warmup=args.warmup * 60,
        planned=args.planned,
        known_ends=args.known_ends,
        known_answers=args.known_answers,
        fixed_risk=args.fixed_risk,
        cancel_after=args.cancel_after or None,
    )
    rows = run_grid(
        args.agents, args.answer_rates, args.handle_times, opts, _progress(time.monotonic())
    )
    if args.json:
        meta = {
            "hours": args.hours,
            "seed": args.seed,
            "limit": args.limit,
            "warmup_minutes": args.warmup,
            "planned": args.planned,
            "fixed_risk": args.fixed_risk,
            "cancel_after": args.cancel_after or None,
        }
        print(json.dumps({**meta, "rows": rows}, indent=1))
    else:
        print(table(rows))
    return 0
