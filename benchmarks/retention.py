"""Retention loop costs (issue 4, items 5-7): proactive-care events per second through the
care rules and SQLite (history, once-per-cause, intervention rows), and the screen pop
(profile read + assembly + next best action) p50/p99 at N customers in SQLite.

    .venv/bin/python benchmarks/retention.py [--customers 100000] [--events 20000]
                                             [--pops 2000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from engine.profiles import schema
from engine.profiles.care import rules as care
from engine.profiles.care.service import CareService
from engine.profiles.retention import nba, offers
from engine.profiles.retention.screenpop import Rules, assemble
from engine.profiles.retention.store import StoreReader
from engine.schemas import MIGRATIONS
from engine.store.database import Database

SKILLS = Path(__file__).resolve().parents[1] / "skills"
DAY = 86400.0


def _put(db: Any, table: Any, rows: Any) -> None:
    """The rows into ``table``, keeping the keys that are its columns (``opted_out``
    is the customer's ``contact_opt_out``)."""
    names = set(table.c.keys())
    batch = []
    for row in rows:
        if "opted_out" in row:
            row["contact_opt_out"] = row.pop("opted_out")
        batch.append({k: v for k, v in row.items() if k in names})
    if batch:
        db.execute(table.insert(), batch)


def seed(db: Any, n: int, rnd: random.Random, now: float) -> None:
    batch = 20000
    for start in tqdm(range(0, n, batch), desc="seed", unit=" x20k customers", disable=None):
        ids = range(start, min(n, start + batch))
        _put(
            db,
            schema.customers,
            (
                {
                    "id": f"c{i}",
                    "name": f"Customer {i}",
                    "timezone": "Asia/Shanghai",
                    "created_at": now - rnd.uniform(10, 900) * DAY,
                    "opted_out": int(i % 50 == 0),
                    "loyalty_level": rnd.choice(["basic", "silver", "gold", "platinum", None]),
                    "loyalty_points": rnd.randint(0, 9000),
                }
                for i in ids
            ),
        )
        _put(
            db,
            schema.orders,
            (
                {
                    "id": f"o{i}-{k}",
                    "customer_id": f"c{i}",
                    "at": now - rnd.uniform(0, 400) * DAY,
                    "amount": round(rnd.lognormvariate(5, 1), 2),
                    "product": rnd.choice(["basic-plan", "router", "cable", "advanced-plan"]),
                    "status": "delivered",
                }
                for i in ids
                for k in range(rnd.randint(0, 6))
            ),
        )
        _put(
            db,
            schema.tickets,
            (
                {
                    "id": f"t{i}",
                    "customer_id": f"c{i}",
                    "status": rnd.choice(["open", "resolved"]),
                    "subject": "billing question",
                    "opened_at": now - DAY,
                }
                for i in ids
                if i % 3 == 0
            ),
        )
        _put(
            db,
            schema.interactions,
            (
                {
                    "id": f"i{i}-{k}",
                    "customer_id": f"c{i}",
                    "conversation_id": f"conv{i}",
                    "channel": "chat",
                    "content": f"message {k}",
                    "resolved": 0,
                    "at": now - 3600 + k,
                }
                for i in ids
                if i % 4 == 0
                for k in range(3)
            ),
        )
        _put(
            db,
            schema.risk,
            (
                {
                    "customer_id": f"c{i}",
                    "tier": rnd.choice(["high", "medium", "low"]),
                    "score": rnd.random(),
                    "reasons": json.dumps([{"tag": "unresolved-complaint", "weight": 1.0}]),
                }
                for i in ids
            ),
        )


def _events(n: int, customers: int, rnd: random.Random, now: float) -> list[dict[str, Any]]:
    kinds = ["delivery.delayed", "page.viewed", "inquiry", "order.placed", "login"]
    out = []
    for k in range(n):
        cid = f"c{rnd.randrange(customers)}"
        kind = rnd.choice(kinds)
        data: dict[str, Any] = {
            "delivery.delayed": {"order_id": f"o{k % 997}", "delay_hours": rnd.randint(0, 30)},
            "page.viewed": {"page_kind": "promotion", "page_id": f"p{rnd.randrange(5)}"},
            "inquiry": {"topic": rnd.choice(["billing", "delivery"])},
        }.get(kind, {})
        out.append(
            {"id": f"e{k}", "type": kind, "customer_id": cid, "at": now + k * 0.01, "data": data}
        )
    return out


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rnd = random.Random(args.seed)
    now = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database(Path(tmp) / "bench.db", MIGRATIONS).open()
        t0 = time.perf_counter()
        await db.run(seed, args.customers, rnd, now)
        seeded = time.perf_counter() - t0
        rules = care.load(SKILLS / "care-rules.yaml")
        svc = CareService(
            db, None, "bench", lambda: rules, "", lambda cid: "treatment", clock=lambda: now
        )
        events = _events(args.events, args.customers, rnd, now)
        fired = 0
        t0 = time.perf_counter()
        for ev in tqdm(events, desc="care events", disable=None):
            fired += len(await svc.on_event(ev))
        care_s = time.perf_counter() - t0
        reader = StoreReader(db)
        ranking = await reader.ranking()
        screen_rules = Rules(
            nba.load(SKILLS / "next-best-action.yaml"), offers.load(SKILLS / "offers.yaml")
        )
        lat = []
        for _ in tqdm(range(args.pops), desc="screen pops", disable=None):
            cid = f"c{rnd.randrange(args.customers)}"
            card = {"call_id": "x", "customer_id": cid, "topic": "billing"}
            t = time.perf_counter()
            view = await reader.view(cid, now)
            assert view is not None
            assemble(card, view, screen_rules, ranking, now)
            lat.append(time.perf_counter() - t)
        await db.close()
    return {
        "customers": args.customers,
        "seed_seconds": round(seeded, 1),
        "care_events": args.events,
        "care_fired": fired,
        "care_events_per_second": round(args.events / care_s),
        "screen_pops": args.pops,
        "screen_pop_p50_ms": round(statistics.median(lat) * 1000, 3),
        "screen_pop_p99_ms": round(pct(lat, 0.99) * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--pops", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:>26}: {value}")


if __name__ == "__main__":
    main()
