"""Profile store costs (issue 4): generated customers per second, events per second
ingested through ``ProfileStore`` (batches of 500, pinned to one core; store only, and
with listeners when ``--listener`` names them), and caller-ID lookup p50/p99 at a million
customers with ``StoreLookup.identify`` on random known and unknown numbers, idle and
while an ingest keeps the writer busy. ``--backend postgresql`` (or ``both``) measures
the same on PostgreSQL: a private server this script starts on a free loopback port
(Debian's ``postgresql``), or ``--database-url`` of one of yours (a database it may fill).

    .venv/bin/python benchmarks/profiles.py [--customers 20000] [--batch 500]
        [--lookup-customers 1000000] [--lookups 20000] [--lookup-workers 0]
        [--backend sqlite|postgresql|both] [--database-url URL]
        [--listener MODULE:FACTORY ...] [--json]

``--listener engine.profiles.x:make`` calls ``make(db)`` (sync or async) for a listener,
e.g. the risk scorer's re-scoring.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import inspect
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from engine.profiles.ingest.lookup import StoreLookup
from engine.profiles.ingest.service import ProfileStore
from engine.schemas import MIGRATIONS
from engine.sim.customers import write as generate_io
from engine.sim.customers.generate import phone_of
from engine.store.database import Database

SEED = 11


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextlib.contextmanager
def one_core() -> Iterator[int | None]:
    """Pin this process (and the threads it starts meanwhile) to one CPU."""
    if not hasattr(os, "sched_setaffinity"):
        yield None
        return
    before = os.sched_getaffinity(0)
    core = min(before)
    os.sched_setaffinity(0, {core})
    try:
        yield core
    finally:
        os.sched_setaffinity(0, before)


async def _listeners(db: Database, specs: list[str]) -> list[Any]:
    out = []
    for spec in specs:
        module, _, name = spec.partition(":")
        made = getattr(importlib.import_module(module), name)(db)
        out.append(await made if inspect.isawaitable(made) else made)
    return out


class Targets:
    """Where each measurement keeps its data: a SQLite file in ``work``, or a fresh
    database on a PostgreSQL server (a private one unless ``url`` names one)."""

    def __init__(self, backend: str, work: Path, url: str = "") -> None:
        self.backend, self.work, self.url = backend, work, url
        self.server: Any = None
        self.made = 0

    def __call__(self, name: str) -> str:
        if self.backend == "sqlite":
            return str(self.work / f"{name}.db")
        if self.url:
            return self.url
        if self.server is None:
            from engine.sandbox.postgres import PostgresServer, free_low_port

            self.server = PostgresServer(free_low_port()).start()
        self.made += 1
        return str(self.server.create_database(f"{name}_{self.made}"))

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


async def ingest(
    events: list[dict[str, Any]], batch: int, target: str, name: str, listener_specs: list[str]
) -> dict[str, Any]:
    db = await Database(target, MIGRATIONS).open()
    store = ProfileStore(db)
    store.listeners += await _listeners(db, listener_specs)
    wall, cpu = time.perf_counter(), time.process_time()
    stored = 0
    for start in tqdm(range(0, len(events), batch), desc=f"ingest ({name})", disable=None):
        stored += len((await store.ingest(events[start : start + batch])).stored)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await db.close()
    return {
        "events": len(events),
        "stored": stored,
        "seconds": round(wall, 2),
        "events_per_s": round(len(events) / wall),
        "events_per_cpu_s": round(len(events) / cpu),
        "listeners": listener_specs,
    }


def numbers(n: int, count: int, rnd: random.Random) -> list[tuple[str, bool]]:
    """Random caller IDs: 80% known customers in several forms, 20% unknown numbers."""
    out = []
    for _ in range(count):
        if rnd.random() < 0.8:
            stored = phone_of(rnd.randrange(n), SEED)
            out.append((rnd.choice([stored, stored[1:], stored[3:]]), True))
        else:
            out.append((phone_of(n + rnd.randrange(n), SEED)[3:], False))
    return out


async def measure(lookup: StoreLookup, calls: list[tuple[str, bool]]) -> dict[str, Any]:
    times, misses, rnd = [], 0, random.Random(9)
    for number, known in calls:
        t = time.perf_counter()
        caller = await lookup.identify(number)
        times.append(time.perf_counter() - t)
        misses += (caller is not None) != known
        await asyncio.sleep(0.0005 * rnd.random())  # calls arrive spaced; others run
    return {
        "lookups": len(calls),
        "p50_ms": round(pct(times, 0.5) * 1000, 3),
        "p99_ms": round(pct(times, 0.99) * 1000, 3),
        "max_ms": round(max(times) * 1000, 3),
        "wrong": misses,
    }


async def lookups(
    n: int, count: int, events: list[dict[str, Any]], path: str, workers: int
) -> dict[str, Any]:
    db = await Database(path, MIGRATIONS).open()
    started = time.perf_counter()
    with tqdm(total=n, desc="bulk load", unit=" customers", disable=None) as bar:
        await asyncio.to_thread(
            generate_io.bulk_load, db, n, SEED, time.time(), 0.2, 50_000, bar.update
        )
    loaded = time.perf_counter() - started
    lookup = StoreLookup(path, workers)
    rnd = random.Random(5)
    await measure(lookup, numbers(n, 2000, rnd))  # warm the page cache
    idle = await measure(lookup, numbers(n, count, rnd))
    store, stop = ProfileStore(db), asyncio.Event()

    async def keep_writing() -> int:
        done = 0
        while not stop.is_set():
            for start in range(0, len(events), 500):
                if stop.is_set():
                    break
                done += len((await store.ingest(events[start : start + 500])).stored)
        return done

    writer = asyncio.create_task(keep_writing())
    await asyncio.sleep(0.5)
    busy = await measure(lookup, numbers(n, count, rnd))
    stop.set()
    busy["events_ingested_meanwhile"] = await writer
    await lookup.close()
    await db.close()
    return {
        "customers": n,
        "workers": workers,
        "bulk_load_s": round(loaded, 1),
        "idle": idle,
        "during_ingest": busy,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-profiles-") as tmp:
        work = Path(tmp)
        started, cpu = time.perf_counter(), time.process_time()
        with tqdm(total=args.customers, desc="generate", unit=" customers", disable=None) as bar:
            written = generate_io.write_events(
                work / "events.jsonl", args.customers, SEED, time.time(), progress=bar.update
            )
        generated, cpu = time.perf_counter() - started, time.process_time() - cpu
        events = [orjson.loads(line) for line in (work / "events.jsonl").read_bytes().splitlines()]
        result: dict[str, Any] = {
            "generate": {
                "customers": written.customers,
                "events": written.events,
                "seconds": round(generated, 1),
                "cpu_seconds": round(cpu, 1),
                "customers_per_s": round(written.customers / generated),
                "customers_per_cpu_s": round(written.customers / cpu),
            }
        }
        backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
        for backend in backends:
            target = Targets(backend, work, args.database_url)
            out: dict[str, Any] = {}
            try:
                with one_core() as core:
                    out["ingest_store_only"] = await ingest(
                        events, args.batch, target("plain"), "plain", []
                    )
                    if args.listener:
                        out["ingest_with_listeners"] = await ingest(
                            events, args.batch, target("listeners"), "listeners", args.listener
                        )
                out["ingest_core"] = core
                out["lookup"] = await lookups(
                    args.lookup_customers,
                    args.lookups,
                    events,
                    target("lookup"),
                    args.lookup_workers,
                )
            finally:
                target.close()
            result[backend] = out
        return result


def render(r: dict[str, Any]) -> str:
    g = r["generate"]
    lines = [
        f"generate: {g['customers']} customers, {g['events']} events in "
        f"{g['seconds']} s, {g['cpu_seconds']} CPU s ({g['customers_per_cpu_s']} "
        f"customers per CPU second)"
    ]
    for backend in ("sqlite", "postgresql"):
        if backend in r:
            lines.append(f"== {backend}")
            lines += render_backend(r[backend])
    return "\n".join(lines)


def render_backend(r: dict[str, Any]) -> list[str]:
    lk = r["lookup"]
    lines: list[str] = []
    for key in ("ingest_store_only", "ingest_with_listeners"):
        if key in r:
            i = r[key]
            lines.append(
                f"{key.replace('_', ' ')}: {i['events_per_s']} events/s "
                f"({i['events_per_cpu_s']} per CPU second, one core, "
                f"{i['events']} events)"
            )
    mode = f"{lk['workers']} threads" if lk["workers"] else "on the event loop"
    lines.append(
        f"caller-ID lookup at {lk['customers']} customers ({mode}, bulk load "
        f"{lk['bulk_load_s']} s):"
    )
    for key in ("idle", "during_ingest"):
        m = lk[key]
        lines.append(
            f"  {key.replace('_', ' ')}: p50 {m['p50_ms']} ms, p99 {m['p99_ms']} ms,"
            f" max {m['max_ms']} ms over {m['lookups']} lookups, {m['wrong']} wrong"
            + (
                f", {m['events_ingested_meanwhile']} events ingested meanwhile"
                if "events_ingested_meanwhile" in m
                else ""
            )
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20000, help="for generate/ingest")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--lookup-customers", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=20000)
    parser.add_argument(
        "--lookup-workers",
        type=int,
        default=0,
        help="StoreLookup threads (0: query on the event loop, the default)",
    )
    parser.add_argument(
        "--listener",
        action="append",
        default=[],
        help="MODULE:FACTORY giving a listener for ProfileStore(db)",
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--database-url", default="", help="a PostgreSQL database to fill")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result) if args.json else render(result))


if __name__ == "__main__":
    main()
