"""`python -m engine report ab [--json] [--csv FILE]`: retention and complaint rate of the
control and treatment arms, with 95% Wilson intervals per arm and a normal-approximation
interval of the difference.

From the engine's store (``database_path``): a customer is retained unless they churned
(a ``churned``/``churned_at`` column of ``customers``, or a ``customer.churned`` event) and
complained when a complaint of theirs is on record (``complaints`` table, or tickets of
kind ``complaint``). Or from a CSV with the columns ``customer_id``, ``churned`` (or
``retained``) and ``complained`` (1/0, true/false).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

import sqlite_utils
from tqdm import tqdm

from engine.profiles.retention.ab import Outcome, compare

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


def _ids(db: sqlite_utils.Database, sql: str) -> set[str]:
    return {str(r[0]) for r in db.execute(sql).fetchall()}


def outcomes_from_store(db: sqlite_utils.Database) -> list[Outcome]:
    if not db["customers"].exists():
        return []
    cols = set(db["customers"].columns_dict)
    churned: set[str] = set()
    for col in ("churned", "churned_at"):
        if col in cols:
            churned |= _ids(
                db,
                f"SELECT id FROM customers WHERE [{col}] IS NOT NULL "
                f"AND [{col}] != 0 AND [{col}] != ''",
            )
    if db["events"].exists() and {"customer_id", "type"} <= set(db["events"].columns_dict):
        churned |= _ids(
            db,
            "SELECT DISTINCT customer_id FROM events WHERE type IN ('churned', 'customer.churned')",
        )
    complained: set[str] = set()
    if db["complaints"].exists():
        complained |= _ids(db, "SELECT DISTINCT customer_id FROM complaints")
    if db["tickets"].exists() and "kind" in db["tickets"].columns_dict:
        complained |= _ids(db, "SELECT DISTINCT customer_id FROM tickets WHERE kind = 'complaint'")
    return [
        Outcome(cid, cid not in churned, cid in complained)
        for cid in _ids(db, "SELECT id FROM customers")
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
            if not Path(settings.database_path).exists():
                raise ValueError(f"no database at {settings.database_path}")
            db = sqlite_utils.Database(settings.database_path)
            try:
                outcomes = outcomes_from_store(db)
            finally:
                db.close()
    except (OSError, ValueError, KeyError) as exc:
        print(f"report ab: {exc}", file=sys.stderr)
        return 2
    report = compare(
        outcomes, args.experiment or settings.ab_experiment, 1.0 - settings.ab_control_share
    )
    data = as_json(report)
    print(json.dumps(data, indent=2) if args.json else render(data))
    return 0
