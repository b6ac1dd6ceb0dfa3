"""Churn risk costs (issue 4, items 3-4): events per second ingested into the profile
store WITH real-time re-scoring (every stored batch re-scores its customers: tags, score,
risk row, tier changes, outreach) on one core, against the same ingest without it; the
sweep that re-scores every customer; and training time and AUC on a generated set.
Besides wall-clock events/s it prints events per CPU-second of the process (the event
loop and the SQLite thread together), which stays meaningful on a busy shared machine.

    .venv/bin/python benchmarks/risk.py [--customers 3000] [--batches 100,1000] [--json]

Customers come from ``engine/sim/customers/generate.py`` (seeded archetypes and churn labels);
their events are ingested in time order through ``ProfileStore.ingest``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from engine.profiles import schema as profile_schema
from engine.profiles.ingest.service import ProfileStore
from engine.profiles.retention import ab
from engine.profiles.risk import config as risk_config
from engine.profiles.risk import schema as risk_schema
from engine.profiles.risk import train_data
from engine.profiles.risk.service import RiskService
from engine.profiles.risk.train import train
from engine.settings import load
from engine.sim.customers import generate as gen
from engine.store.database import Database

ROOT = Path(__file__).resolve().parents[1]
END = 1_780_000_000.0


def events_of(customers: int, seed: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(customers):
        out += gen.customer(i, seed, END)[0]
    out.sort(key=lambda e: e["at"])
    return out


async def ingest(
    path: Path, events: list[dict[str, Any]], batch: int, rescore: bool
) -> dict[str, Any]:
    db = await Database(path, [profile_schema.migrations, risk_schema.migrations]).open()
    store = ProfileStore(db, clock=lambda: END)
    settings = load(None, environ={}, database_path=str(path), skills_dir=str(ROOT / "skills"))
    risk = RiskService(settings, db, None, lambda c: ab.arm(c, "retention", 0.8), clock=lambda: END)
    if rescore:
        store.listeners.append(risk.on_batch)
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(events), batch):
        await store.ingest(events[i : i + batch])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    out = {
        "batch": batch,
        "rescore": rescore,
        "events": len(events),
        "seconds": round(seconds, 2),
        "events_per_s": round(len(events) / seconds),
        "cpu_seconds": round(cpu, 2),
        "events_per_cpu_s": round(len(events) / cpu),
        "customers_rescored": risk.rescored,
    }
    if not rescore:
        started = time.perf_counter()
        swept = await risk.sweep()
        took = time.perf_counter() - started
        out["sweep"] = {
            "customers": swept,
            "seconds": round(took, 2),
            "customers_per_s": round(swept / took),
        }
    await db.close()
    return out


def training(path: Path) -> dict[str, Any]:
    from engine.schemas import MIGRATIONS
    from engine.store.database import Database

    config = risk_config.load(ROOT / "skills" / "risk-tags.yaml")
    db = Database(path, MIGRATIONS).open_sync()
    started = time.perf_counter()
    data = db.run_sync(train_data.from_store, config)
    read = time.perf_counter() - started
    started = time.perf_counter()
    model, report = train(data.records, data.labels, data.source, 0.25, 0)
    fit = time.perf_counter() - started
    db.close_sync()
    rep = dataclasses.asdict(report)
    return {
        "customers": report.rows,
        "churn_rate": report.base_rate,
        "read_seconds": round(read, 2),
        "train_seconds": round(fit, 3),
        "auc": report.auc,
        "brier": report.brier,
        "reliability": rep["reliability"],
        "weights": {t.name: t.weight for t in model.terms if t.kind == "tag"},
    }


async def run(customers: int, batches: list[int]) -> dict[str, Any]:
    events = events_of(customers, seed=11)
    results: dict[str, Any] = {"customers": customers, "events": len(events), "ingest": []}
    with tempfile.TemporaryDirectory() as tmp:
        for batch in batches:
            for rescore in (False, True):
                path = Path(tmp) / f"b{batch}-{int(rescore)}.db"
                results["ingest"].append(await ingest(path, events, batch, rescore))
        results["training"] = training(Path(tmp) / f"b{batches[0]}-0.db")
    return results


def render(r: dict[str, Any]) -> str:
    lines = [
        f"{r['customers']} generated customers, {r['events']} events (one core)",
        f"{'batch':>6} {'re-scoring':>10} {'events/s':>9} {'seconds':>8} {'events/CPU-s':>12}",
    ]
    for x in r["ingest"]:
        lines.append(
            f"{x['batch']:>6} {'yes' if x['rescore'] else 'no':>10} "
            f"{x['events_per_s']:>9} {x['seconds']:>8} {x['events_per_cpu_s']:>12}"
        )
    sweeps = [x["sweep"] for x in r["ingest"] if "sweep" in x]
    if sweeps:
        lines.append(
            f"sweep: {sweeps[0]['customers']} customers re-scored at "
            f"{sweeps[0]['customers_per_s']}/s"
        )
    t = r["training"]
    lines.append(
        f"training on {t['customers']} customers (churn {t['churn_rate']:.1%}): "
        f"read {t['read_seconds']} s, fit {t['train_seconds']} s, "
        f"held-out AUC {t['auc']:.3f}, Brier {t['brier']:.4f}"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--batches", default="100,1000", help="events per ingest call")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args.customers, [int(b) for b in args.batches.split(",")]))
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
