"""Benchmark: the engine's store on SQLite and on PostgreSQL, in one run.

For each backend: a store holding ``--customers`` generated customers (bulk load), then

- caller-ID lookup p50/p99 (``StoreLookup.identify`` on random known and unknown
  numbers, as ``benchmarks/profiles.py`` measures it), idle;
- the inbound call path: an engine on that store (speech off) takes ``--calls``
  concurrent calls through the sandbox Asterisk (``benchmarks/inbound_calls.py``'s
  driver): p50/p99 StasisStart to bridged, calls connected, ``call.failed``.

PostgreSQL is a private server this script starts on a free loopback port (Debian's
``postgresql``; as root it runs as the ``postgres`` user) and stops at the end, one fresh
database per backend run. The sandbox Asterisk is the one the settings name (started and
stopped if it was not up).

    python benchmarks/store_backends.py --calls 100 [--customers 100000] [--lookups 5000]
        [--config FILE] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import inbound_calls  # noqa: E402
import profiles as profile_bench  # noqa: E402

from engine import settings as settings_mod  # noqa: E402
from engine.profiles.ingest.lookup import StoreLookup  # noqa: E402
from engine.sandbox.postgres import PostgresServer, free_low_port  # noqa: E402
from engine.schemas import MIGRATIONS  # noqa: E402
from engine.sim.customers import write as generate_io  # noqa: E402
from engine.store.database import Database  # noqa: E402


async def fill(target: str, customers: int) -> float:
    db = await Database(target, MIGRATIONS).open()
    started = time.perf_counter()
    await asyncio.to_thread(
        generate_io.bulk_load, db, customers, profile_bench.SEED, time.time(), 0.2, 50_000
    )
    took = time.perf_counter() - started
    await db.close()
    return took


async def lookups(target: str, customers: int, count: int) -> dict[str, Any]:
    lookup = StoreLookup(target)
    rnd = random.Random(5)
    try:
        await profile_bench.measure(lookup, profile_bench.numbers(customers, 1000, rnd))  # warm
        return await profile_bench.measure(lookup, profile_bench.numbers(customers, count, rnd))
    finally:
        await lookup.close()


async def one_backend(
    args: argparse.Namespace, backend: str, server: PostgresServer | None, sandbox: Any
) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"tenure-store-{backend}-"))
    if server is None:
        target, url = str(work / "engine.db"), ""
    else:
        url = server.create_database(f"bench_{int(time.time())}")
        target = url
    print(f"== {backend}: loading {args.customers} customers", file=sys.stderr, flush=True)
    loaded = await fill(target, args.customers)
    found = await lookups(target, args.customers, args.lookups)
    print(f"== {backend}: {args.calls} calls", file=sys.stderr, flush=True)
    # the engine's store is the one just filled (SQLite: work/engine.db)
    run = await inbound_calls.run_mode(args, "off", [args.calls], sandbox, url, work=work)
    level = run["levels"][0]
    return {
        "store": backend,
        "customers": args.customers,
        "bulk_load_s": round(loaded, 1),
        "lookup": found,
        "calls": {
            k: level[k]
            for k in (
                "calls",
                "peak_concurrent",
                "connected",
                "call_failed",
                "p50_ms",
                "p99_ms",
                "engine_cpu_s_per_call",
                "loop_stalled",
            )
        },
        "warnings": level["warnings"],
        "channels_left_after_stop": run["channels_left_after_stop"],
    }


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    from engine.sandbox.asterisk import Sandbox

    base = settings_mod.load(args.config)
    sandbox = Sandbox(base)
    was_up = sandbox.pid() is not None  # leave the machine as it was found
    sandbox.up()
    server = PostgresServer(free_low_port()).start()
    try:
        return [
            await one_backend(args, "sqlite", None, sandbox),
            await one_backend(args, "postgresql", server, sandbox),
        ]
    finally:
        server.stop()
        if not was_up:
            sandbox.down()


def render(runs: list[dict[str, Any]]) -> str:
    rows = [
        ("customers in the store", lambda r: r["customers"]),
        ("caller-ID lookup p50 ms", lambda r: r["lookup"]["p50_ms"]),
        ("caller-ID lookup p99 ms", lambda r: r["lookup"]["p99_ms"]),
        ("calls", lambda r: r["calls"]["calls"]),
        ("peak concurrent", lambda r: r["calls"]["peak_concurrent"]),
        ("connected", lambda r: r["calls"]["connected"]),
        ("call.failed", lambda r: r["calls"]["call_failed"]),
        ("p50 StasisStart->bridged ms", lambda r: r["calls"]["p50_ms"]),
        ("p99 StasisStart->bridged ms", lambda r: r["calls"]["p99_ms"]),
        ("engine CPU s/call", lambda r: r["calls"]["engine_cpu_s_per_call"]),
        ("engine.loop_stalled", lambda r: r["calls"]["loop_stalled"]),
    ]
    out = [f"{'':<30}" + "".join(f"{r['store']:>14}" for r in runs)]
    for label, get in rows:
        out.append(f"{label:<30}" + "".join(f"{get(r)!s:>14}" for r in runs))
    for r in runs:
        out.append(
            f"{r['store']}: warnings "
            + (", ".join(f"{k} {v}" for k, v in r["warnings"].items()) or "none")
            + f"; Asterisk channels left after stop: {r['channels_left_after_stop']}"
        )
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=None)
    parser.add_argument("--calls", type=int, default=100, help="concurrent calls per backend")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=20.0, help="new calls per second")
    parser.add_argument("--agent-delay", type=float, default=1.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.engine_root = None
    runs = asyncio.run(main_async(args))
    print(json.dumps(runs, indent=2) if args.json else render(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
