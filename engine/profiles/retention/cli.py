"""`python -m engine report ab [--json] [--csv FILE]`: retention and complaint rate of the
control and treatment arms, with 95% Wilson intervals per arm and a normal-approximation
interval of the difference.

From the engine's store (``database_url`` or ``database_path``): a customer is retained
unless they churned (a ``customer.churned`` or ``churned`` event) and complained when a
ticket of theirs of kind ``complaint`` is on record. Or from a CSV with the columns
``customer_id``, ``churned`` (or ``retained``) and ``complained`` (1/0, true/false).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from sqlalchemy import Connection, select
from tqdm import tqdm

from engine.profiles.retention.ab import Outcome, compare
from engine.profiles.schema import customers, events, tickets
from engine.schemas import existing, once

TRUE = {"1", "true", "yes", "y", "t"}


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="reports on the retention loop")
    kinds = report.add_subparsers(dest="report", required=True, metavar="REPORT")
    ab = kinds.add_parser(
        "ab", help="A/B: retention and complaint rate per arm with confidence intervals"
    )
    ab.add_argument("--csv", help="per-customer outcomes instead of the engine's store")
    ab.add_argument("--experiment", help="experiment name (default: setting ab_experiment)")
    ab.add_argument("--json", action="store_true", help="machine-readable output")
    ab.set_defaults(func=_ab)


def outcomes_from_csv(path: str) -> list[Outcome]:
    out = []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        cols = set(reader.fieldnames or ())
        missing = {"customer_id", "complained"} - cols
        if missing or not cols & {"churned", "retained"}:
            need = sorted(missing | ({"churned"} if not cols & {"churned", "retained"} else set()))
            raise ValueError(f"{path}: missing column(s) {', '.join(need)}")
        for row in tqdm(reader, desc="outcomes", unit=" customers", disable=None):
            retained = (
                str(row["retained"]).strip().lower() in TRUE
                if "retained" in row
                else str(row["churned"]).strip().lower() not in TRUE
            )
            out.append(
                Outcome(
                    row["customer_id"], retained, str(row["complained"]).strip().lower() in TRUE
                )
            )
    return out


def outcomes_from_store(db: Connection) -> list[Outcome]:
    """Churned: a ``customer.churned`` (or ``churned``) event; complained: a ticket of kind
    ``complaint``."""
    e, t = events.c, tickets.c
    churned = set(
        db.execute(
            select(e.customer_id).where(e.type.in_(("churned", "customer.churned"))).distinct()
        ).scalars()
    )
    complained = set(
        db.execute(select(t.customer_id).where(t.kind == "complaint").distinct()).scalars()
    )
    return [
        Outcome(str(cid), cid not in churned, cid in complained)
        for cid in db.execute(select(customers.c.id)).scalars()
    ]


def as_json(report: dict[str, Any]) -> dict[str, Any]:
    def rate(r: Any) -> dict[str, Any]:
        return {
            "count": r.count,
            "n": r.n,
            "rate": round(r.rate, 4),
            "ci": [round(r.low, 4), round(r.high, 4)],
        }

    def diff(d: tuple[float, float, float]) -> dict[str, Any]:
        return {"difference": round(d[0], 4), "ci": [round(d[1], 4), round(d[2], 4)]}

    return {
        "experiment": report["experiment"],
        "confidence": report["confidence"],
        "arms": {
            a.arm: {
                "customers": a.customers,
                "retention": rate(a.retention),
                "complaint_rate": rate(a.complaints),
            }
            for a in report["arms"]
        },
        "retention_lift": diff(report["retention_lift"]),
        "complaint_change": diff(report["complaint_change"]),
    }


def render(data: dict[str, Any]) -> str:
    lines = [
        f"experiment {data['experiment']} ({int(data['confidence'] * 100)}% intervals)",
        f"{'arm':<10} {'customers':>9}  {'retention':<24} {'complaint rate':<24}",
    ]
    for name, a in data["arms"].items():
        r, c = a["retention"], a["complaint_rate"]
        lines.append(
            f"{name:<10} {a['customers']:>9}  "
            f"{r['rate']:>6.1%} [{r['ci'][0]:.1%}, {r['ci'][1]:.1%}]".ljust(46)
            + f" {c['rate']:>6.1%} [{c['ci'][0]:.1%}, {c['ci'][1]:.1%}]"
        )
    for key, label in (
        ("retention_lift", "retention, treatment - control"),
        ("complaint_change", "complaint rate, treatment - control"),
    ):
        d = data[key]
        lines.append(f"{label}: {d['difference']:+.1%} [{d['ci'][0]:+.1%}, {d['ci'][1]:+.1%}]")
    return "\n".join(lines)


def _ab(args: argparse.Namespace) -> int:
    settings = args.settings()
    try:
        if args.csv:
            outcomes = outcomes_from_csv(args.csv)
        else:
            if not existing(settings):
                raise ValueError(f"no database at {settings.database_path}")
            outcomes = once(settings, outcomes_from_store)
    except (OSError, ValueError, KeyError) as exc:
        print(f"report ab: {exc}", file=sys.stderr)
        return 2
    report = compare(
        outcomes, args.experiment or settings.ab_experiment, 1.0 - settings.ab_control_share
    )
    data = as_json(report)
    print(json.dumps(data, indent=2) if args.json else render(data))
    return 0
