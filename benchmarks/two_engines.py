"""Benchmark: two engines, each next to its own sandbox Asterisk, one Redis, one store.

Starts a private redis-server, both boxes' sandboxes (left as found) and both engines as
processes (``instance_id`` box-a and box-b, speech off, one agent pool of simulated
agents shared through Redis), then N simulated callers on each box at once, at a steady
rate, each held until all are up. Prints per box: calls connected and ended,
``call.failed`` in its log, p50/p99 StasisStart-to-bridged (the simulated agent's answer
delay taken out), calls whose customer was identified, engine CPU per call; and for the
store: p50/p99 of a caller-ID lookup (``StoreLookup``, the call path's) over the
callers' numbers while both engines are loaded.

One invocation runs a round per store back to back, on the same sandboxes: SQLite (one
file both engines share, the default) and PostgreSQL (the ``database_url`` setting; a
private server started here like the tests', ``engine/sandbox/postgres.py``, or
``--database-url`` for one of your own), and prints the figures side by side, with the
machine's load average during each round (on a shared machine the ratio between the
backends in one run is what counts). ``--stores sqlite`` or ``--stores postgresql`` runs
one round only.

    python benchmarks/two_engines.py --config box-a.toml --config-b box-b.toml --calls 100

Each config file places its box (sandbox_dir, ports, credentials); everything else
(Redis, store, HTTP port, skills, instance_id) is set here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import inbound_calls as ic  # noqa: E402

from engine import settings as settings_mod  # noqa: E402
from engine.ari.client import AriClient  # noqa: E402
from engine.profiles.ingest.lookup import StoreLookup  # noqa: E402
from engine.sandbox.postgres import PostgresServer, free_low_port  # noqa: E402
from engine.sim import parties  # noqa: E402
from engine.store.database import sqlalchemy_url  # noqa: E402

STORES = ("sqlite", "postgresql")

BOXES = ("box-a", "box-b")
OURS = {
    "ENGINE_REDIS_URL",
    "ENGINE_DATABASE_PATH",
    "ENGINE_HTTP_PORT",
    "ENGINE_SKILLS_DIR",
    "ENGINE_LOG_LEVEL",
    "ENGINE_LOG_FORMAT",
    "ENGINE_SPEECH_ENABLED",
}


async def place(ari: AriClient, box: str, n: int, rate: float, hold: float) -> int:
    """n callers on one box (channel ids ``<box>-<i>``, numbers 1390<box><i>)."""
    tag = BOXES.index(box)
    stamp = int(time.time())

    async def one(i: int) -> None:
        p = parties.caller("8100", f"1390{tag}{i:05d}", hold=hold)
        await ari.originate(p.pop("endpoint"), channelId=f"{box}-{stamp}-{i}", **p)

    start, tasks = time.monotonic(), []
    for i in range(n):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        tasks.append(asyncio.create_task(one(i)))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    return sum(1 for r in results if isinstance(r, BaseException))


async def seed_customers(port: int, token: str, numbers: list[str]) -> None:
    """One customer per caller number, ingested through box A's API: box B identifies
    its callers from the shared store."""
    import aiohttp

    events = [
        {
            "id": f"bench-{number}",
            "type": "customer.updated",
            "customer_id": f"B{number}",
            "at": time.time() - 60,
            "data": {"name": f"Bench {number}", "phones": [number]},
        }
        for number in numbers
    ]
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        for i in range(0, len(events), 500):
            url = f"http://127.0.0.1:{port}/profiles/events/batch"
            async with http.post(url, json={"events": events[i : i + 500]}) as resp:
                resp.raise_for_status()


async def lookups(target: str, numbers: list[str], stop: asyncio.Event) -> list[float]:
    """Caller-ID lookups (ms) in a loop while the engines are loaded (``target``: the
    SQLite file or the PostgreSQL URL, as the engines' call path reads it)."""
    lookup = StoreLookup(target)
    out: list[float] = []
    try:
        i = 0
        while not stop.is_set():
            t = time.perf_counter()
            await lookup.identify(numbers[i % len(numbers)])
            out.append((time.perf_counter() - t) * 1000)
            i += 1
            await asyncio.sleep(0.01)
    finally:
        await lookup.close()
    return out


class Records:
    """The call records of the round, read from its store (SQLite or PostgreSQL)."""

    def __init__(self, target: str) -> None:
        import sqlalchemy

        self.sql = sqlalchemy
        self.engine = sqlalchemy.create_engine(sqlalchemy_url(target))

    def since(self, since: float) -> list[dict[str, Any]]:
        query = self.sql.text("SELECT * FROM calls WHERE arrived_at >= :since")
        try:
            with self.engine.connect() as conn:
                return [dict(r._mapping) for r in conn.execute(query, {"since": since})]
        except self.sql.exc.OperationalError:  # the table not there yet
            return []

    def close(self) -> None:
        self.engine.dispose()


def box_figures(rows: list[dict[str, Any]], box: str, n: int, cpu: float, warnings: Any) -> dict:
    mine = [r for r in rows if str(r["id"]).startswith(f"{box}-")]
    done = [r for r in mine if r["connected_at"]]
    lat = [
        ((r["connected_at"] - r["arrived_at"]) - (r["agent_answered_at"] - r["agent_dialed_at"]))
        * 1000
        for r in done
    ]
    return {
        "box": box,
        "calls": n,
        "connected": len(done),
        "ended": sum(1 for r in mine if r["ended_at"]),
        "identified": sum(1 for r in mine if r["customer_id"]),
        "call_failed": warnings.get("call.failed", 0),
        "p50_ms": round(ic.percentile(lat, 50), 2),
        "p99_ms": round(ic.percentile(lat, 99), 2),
        "engine_cpu_s_per_call": round(cpu / max(n, 1), 5),
        "loop_stalled": warnings.get("engine.loop_stalled", 0),
    }


def spawn_engine(
    database_url: str, work: Path, redis_port: int, box: str, config: str, port: int
) -> subprocess.Popen[bytes]:
    """One engine as a process, placed by its config file, on the shared Redis and store."""
    env = {  # the config file places the box: no ENGINE_* of this shell overrides it
        k: v
        for k, v in ic.engine_env(work, redis_port, port, "off").items()
        if not k.startswith("ENGINE_") or k in OURS
    }
    env["ENGINE_INSTANCE_ID"] = box
    if database_url:
        env["ENGINE_DATABASE_URL"] = database_url
        env.pop("ENGINE_DATABASE_PATH", None)
    with (work / f"{box}.log").open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "engine", "--config", config, "run"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=out,
        )


async def measure(
    args: argparse.Namespace,
    configs: list[settings_mod.Settings],
    engines: list[subprocess.Popen[bytes]],
    ports: list[int],
    logs: list[Path],
    target: str,
) -> dict:
    aris = [AriClient(c.ari_url, c.ari_user, c.ari_password) for c in configs]
    for ari in aris:
        await ari.set_global("SIM_AGENT_DELAY", str(args.agent_delay))
    numbers = [f"1390{t}{i:05d}" for t in range(2) for i in range(args.calls)]
    await seed_customers(ports[0], configs[0].api_token, numbers)
    cpu0 = [ic.cpu_seconds(e.pid) for e in engines]
    starts = [ic.log_size(log) for log in logs]
    since, hold = time.time(), args.calls / args.rate + 3.0
    stop = asyncio.Event()
    looking = asyncio.create_task(lookups(target, numbers, stop))  # the call path's lookup
    load = [os.getloadavg()[0]]
    failed = await asyncio.gather(
        *(
            place(ari, box, args.calls, args.rate, hold)
            for ari, box in zip(aris, BOXES, strict=True)
        )
    )
    deadline = time.time() + hold + 60
    rows: list[dict[str, Any]] = []
    store = Records(target)
    try:
        while time.time() < deadline:
            await asyncio.sleep(1.0)
            load.append(os.getloadavg()[0])
            rows = await asyncio.to_thread(store.since, since)
            if sum(1 for r in rows if r["ended_at"]) >= 2 * args.calls - sum(failed):
                break
    finally:
        store.close()
    stop.set()
    lookup_ms = await looking
    cpu = [ic.cpu_seconds(e.pid) - c0 for e, c0 in zip(engines, cpu0, strict=True)]
    for ari in aris:
        await ari.close()
    return {
        "store": "sqlite" if not is_url(target) else "postgresql",
        "calls_per_box": args.calls,
        "arrival_rate_per_box": args.rate,
        "boxes": [
            box_figures(rows, box, args.calls, c, ic.log_warnings(log, start))
            for box, c, log, start in zip(BOXES, cpu, logs, starts, strict=True)
        ],
        "peak_concurrent": ic.peak_concurrency(rows),
        "lookup_p50_ms": round(ic.percentile(lookup_ms, 50), 3),
        "lookup_p99_ms": round(ic.percentile(lookup_ms, 99), 3),
        "lookups": len(lookup_ms),
        # the machine's 1-minute load average while the calls were up (2 cores here)
        "load_1m_mean": round(sum(load) / len(load), 2),
        "load_1m_max": round(max(load), 2),
    }


def is_url(target: str) -> bool:
    return "://" in target


async def run_round(
    args: argparse.Namespace, configs: list[settings_mod.Settings], database_url: str
) -> dict:
    """One round: a fresh Redis, store and pair of engines on the (running) sandboxes."""
    from engine.sandbox.redis import RedisServer

    work = Path(tempfile.mkdtemp(prefix="tenure-two-"))
    ic.write_skills(work / "skills", 2 * args.calls + 20)
    redis = RedisServer(free_low_port(), work / "redis")
    engines: list[subprocess.Popen[bytes]] = []
    try:
        redis.start()
        ports, logs = [free_low_port(), free_low_port()], [work / f"{box}.log" for box in BOXES]
        # one after the other: the first creates the store's tables
        for box, config, port, c in zip(
            BOXES, (args.config, args.config_b), ports, configs, strict=True
        ):
            engines.append(spawn_engine(database_url, work, redis.port, box, config, port))
            await ic.wait_started(port, c.api_token, engines[-1])
        target = database_url or str(work / "engine.db")
        return await measure(args, configs, engines, ports, logs, target)
    finally:
        for engine in engines:
            engine.send_signal(signal.SIGTERM)
        for engine in engines:
            try:
                engine.wait(30)
            except subprocess.TimeoutExpired:
                engine.kill()
                engine.wait(10)
        redis.stop()
        shutil.rmtree(work, ignore_errors=True)  # logs already counted


async def run(args: argparse.Namespace) -> dict:
    from engine.sandbox.asterisk import Sandbox

    configs = [
        settings_mod.load(args.config, environ={}),
        settings_mod.load(args.config_b, environ={}),
    ]
    sandboxes = [Sandbox(c) for c in configs]
    was_up = [s.pid() is not None for s in sandboxes]  # leave the machine as found
    postgres: PostgresServer | None = None
    rounds: dict[str, dict] = {}
    try:
        for s in sandboxes:
            s.up()
        for store in args.stores:
            url = ""
            if store == "postgresql":
                url = args.database_url
                if not url:  # a private server, like the tests'
                    postgres = PostgresServer(free_low_port()).start()
                    url = postgres.create_database("tenure_bench")
            rounds[store] = await run_round(args, configs, url)
            await asyncio.sleep(5)  # the sandboxes settle between rounds
    finally:
        if postgres is not None:
            postgres.stop()
        for s, up in zip(sandboxes, was_up, strict=True):
            if not up:
                s.down()
    return {"calls_per_box": args.calls, "arrival_rate_per_box": args.rate, "rounds": rounds}


def table(result: dict) -> list[str]:
    """The rounds side by side."""
    rounds = result["rounds"]
    names = list(rounds)
    rows: list[tuple[str, list[str]]] = []
    for i, box in enumerate(BOXES):
        figures = [rounds[n]["boxes"][i] for n in names]
        rows += [
            (f"{box} connected", [f"{b['connected']}/{b['calls']}" for b in figures]),
            (f"{box} call.failed", [str(b["call_failed"]) for b in figures]),
            (f"{box} identified", [str(b["identified"]) for b in figures]),
            (
                f"{box} StasisStart->bridged p50 / p99 ms",
                [f"{b['p50_ms']} / {b['p99_ms']}" for b in figures],
            ),
            (
                f"{box} engine CPU ms/call",
                [f"{b['engine_cpu_s_per_call'] * 1000:.1f}" for b in figures],
            ),
            (f"{box} loop stalls", [str(b["loop_stalled"]) for b in figures]),
        ]
    rows += [
        (
            "caller-ID lookup p50 / p99 ms",
            [f"{rounds[n]['lookup_p50_ms']} / {rounds[n]['lookup_p99_ms']}" for n in names],
        ),
        ("lookups under load", [str(rounds[n]["lookups"]) for n in names]),
        ("peak calls up", [str(rounds[n]["peak_concurrent"]) for n in names]),
        (
            "load average 1 min, mean / max",
            [f"{rounds[n]['load_1m_mean']} / {rounds[n]['load_1m_max']}" for n in names],
        ),
    ]
    width = max(len(label) for label, _ in rows) + 2
    out = [
        f"{result['calls_per_box']} calls per box at {result['arrival_rate_per_box']}/s",
        "".ljust(width) + "".join(n.rjust(18) for n in names),
    ]
    out += [label.ljust(width) + "".join(v.rjust(18) for v in vals) for label, vals in rows]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True, help="box A's TOML config (placement)")
    parser.add_argument("--config-b", required=True, help="box B's TOML config (placement)")
    parser.add_argument("--calls", type=int, default=100, help="calls on each box")
    parser.add_argument("--rate", type=float, default=20.0, help="calls per second per box")
    parser.add_argument("--agent-delay", type=float, default=0.5, help="agents' ring seconds")
    parser.add_argument(
        "--stores",
        default=",".join(STORES),
        help="rounds to run, in order (default: sqlite,postgresql)",
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="the PostgreSQL round's database (default: a private server started here)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    unknown = sorted(set(args.stores) - set(STORES))
    if unknown or not args.stores:
        parser.error(f"--stores takes {' and/or '.join(STORES)}, got {args.stores!r}")
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print("\n".join(table(result)))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
