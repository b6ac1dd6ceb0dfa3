"""`python -m engine risk train|score`: learn the risk model, or show one customer's score.

    risk train [--csv FILE [--label COLUMN] [--encoding E] [--delimiter D]] [--json]
               [--test-share 0.25] [--seed N] [--out PATH] [--cutoff DATE] [--horizon-days 60]

learns from the engine's store (``database_url`` or ``database_path``) or from a CRM
export, reports AUC, Brier score and a reliability table on a held-out split and the
training time, and saves the weights to ``--out`` (default: setting
``risk_model_path``), which a running engine picks up on reload (SIGHUP, file watch) and
every engine at start.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.profiles.risk import config as risk_config
from engine.profiles.risk import score as risk_model
from engine.profiles.risk import train_data
from engine.profiles.risk.facts import facts_of, features_of, read_rows
from engine.profiles.risk.service import model_path
from engine.profiles.risk.tags import evaluate
from engine.profiles.risk.train import TrainError, train
from engine.schemas import existing, once
from engine.settings import Settings

MAX_SKIPPED_SHOWN = 20


def register(sub: argparse._SubParsersAction) -> None:
    risk = sub.add_parser("risk", help="churn risk: train the model, show a score")
    kinds = risk.add_subparsers(dest="risk", required=True, metavar="ACTION")
    t = kinds.add_parser("train", help="learn risk weights; report AUC and calibration")
    t.add_argument("--csv", help="per-customer features with a churn label (CRM export)")
    t.add_argument(
        "--label",
        help="label column of --csv, any case (default: churned, churn, exited, attrition...)",
    )
    t.add_argument("--encoding", help="encoding of --csv (default: detected)")
    t.add_argument("--delimiter", help="delimiter of --csv: , ; tab | (default: detected)")
    t.add_argument("--test-share", type=float, default=0.25, help="held-out share (0.25)")
    t.add_argument("--seed", type=int, default=0, help="seed of the split (0)")
    t.add_argument("--out", help="where to save the model (default: risk_model_path)")
    t.add_argument(
        "--cutoff",
        help="store: features as of this date (YYYY-MM-DD, UTC; "
        "default: last event minus the horizon)",
    )
    t.add_argument(
        "--horizon-days",
        type=float,
        default=60.0,
        help="store: churn within this many days after the cutoff (60)",
    )
    t.add_argument("--json", action="store_true", help="machine-readable output")
    t.set_defaults(func=_train)
    s = kinds.add_parser("score", help="one customer's tags, score and reasons, as of now")
    s.add_argument("customer_id")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=_score)


def _dataset(args: argparse.Namespace, settings: Settings) -> train_data.Dataset:
    if args.csv:
        return train_data.from_csv(args.csv, args.label, args.encoding, args.delimiter)
    if not existing(settings):
        raise TrainError(f"no database at {settings.database_path} (or use --csv)")
    cutoff = None
    if args.cutoff:
        try:
            cutoff = datetime.fromisoformat(args.cutoff).replace(tzinfo=UTC).timestamp()
        except ValueError:
            raise TrainError(f"--cutoff {args.cutoff!r} is not a date (YYYY-MM-DD)") from None
    config = risk_config.load(settings.skills_path / "risk-tags.yaml")
    return once(settings, train_data.from_store, config, cutoff, args.horizon_days)


def render(out: dict[str, Any]) -> str:
    lines = list(out.get("notes", []))
    lines += [
        f"risk model trained on {out['rows']} customers from {out['source']}"
        + (
            f" (cutoff {out['cutoff']}, horizon {out['horizon_days']:g} days)"
            if out.get("cutoff")
            else ""
        ),
        f"held out {out['test_rows']}: AUC {out['auc']:.3f}, Brier {out['brier']:.4f}, "
        f"log loss {out['log_loss']:.4f}, churn rate {out['base_rate']:.1%}",
        f"training time {out['seconds']:.2f} s",
        "calibration on the held-out customers, by decile of predicted risk:",
        f"{'decile':>6} {'n':>7} {'predicted':>10} {'observed':>9}",
    ]
    lines += [
        f"{b['bin']:>6} {b['n']:>7} {b['predicted']:>10.1%} {b['observed']:>9.1%}"
        for b in out["reliability"]
    ]
    lines.append(f"weights (log-odds; intercept {out['intercept']:+.3f}):")
    lines += [f"  {name:<28} {w:+.3f}" for name, w in out["weights"].items()]
    lines += [f"left out column {c}: {why}" for c, why in out["dropped"].items()]
    lines += [f"skipped {s}" for s in out["skipped"][:MAX_SKIPPED_SHOWN]]
    if len(out["skipped"]) > MAX_SKIPPED_SHOWN:
        lines.append(f"... and {len(out['skipped']) - MAX_SKIPPED_SHOWN} more skipped")
    lines.append(f"saved to {out['saved_to']} (version {out['version']})")
    return "\n".join(lines)


def _train(args: argparse.Namespace) -> int:
    settings = args.settings()
    try:
        data = _dataset(args, settings)
        started = time.perf_counter()
        model, report = train(data.records, data.labels, data.source, args.test_share, args.seed)
        seconds = time.perf_counter() - started
    except (TrainError, risk_config.RuleFileError, OSError) as exc:
        print(f"risk train: {exc}", file=sys.stderr)
        return 2
    out_path = Path(args.out) if args.out else model_path(settings)
    model = risk_model.Model(
        model.intercept,
        model.terms,
        model.version,
        model.source,
        model.trained_at,
        {**model.metrics, "seconds": round(seconds, 3)},
    )
    risk_model.save(model, out_path)
    out = {
        **report.__dict__,
        "source": data.source,
        "seconds": round(seconds, 3),
        "cutoff": (
            datetime.fromtimestamp(data.cutoff, UTC).date().isoformat() if data.cutoff else None
        ),
        "horizon_days": args.horizon_days,
        "intercept": model.intercept,
        "weights": {t.name: t.weight for t in sorted(model.terms, key=lambda t: -t.weight)},
        "skipped": data.skipped,
        "dropped": {**data.dropped, **report.dropped},
        "notes": data.notes,
        "saved_to": str(out_path),
        "version": model.version,
    }
    print(json.dumps(out, indent=2) if args.json else render(out))
    return 0


def _score(args: argparse.Namespace) -> int:
    settings = args.settings()
    config = risk_config.load(settings.skills_path / "risk-tags.yaml")
    try:
        model = risk_model.load(model_path(settings)) or risk_model.default_model(config)
    except risk_model.ModelError as exc:
        print(f"risk score: {exc}", file=sys.stderr)
        return 2
    rows = once(settings, read_rows, [args.customer_id]).get(args.customer_id)
    if not rows or not rows.get("customer"):
        print(f"risk score: no customer {args.customer_id!r}", file=sys.stderr)
        return 1
    now = time.time()
    facts = facts_of(rows, args.customer_id, now)
    if facts.opted_out:
        print(f"risk score: {args.customer_id} opted out of prediction", file=sys.stderr)
        return 1
    tags = evaluate(config.tags, facts, now, config.words)
    s = risk_model.score(tags, features_of(facts, now), model, config.tiers)
    out = {
        "customer_id": args.customer_id,
        "score": s.score,
        "tier": s.tier,
        "model": s.model,
        "reasons": s.reasons_json(),
    }
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(f"{args.customer_id}: {s.tier} ({s.score:.2f}, model {s.model})")
        for r in s.reasons:
            print(f"  {r.contribution:+.2f}  {r.tag:<24} {r.description}")
    return 0
