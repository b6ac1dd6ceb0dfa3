"""Benchmark: N concurrent inbound calls through the sandbox Asterisk and the engine.

Starts a private redis-server and the engine (as its own process, so its CPU can be
read apart from this driver's), starts N simulated callers at a steady rate on a DID
that goes straight to a queue, lets simulated agents answer and holds every call until
all N are up at once, then the callers hang up.

Prints, per level: peak concurrent calls, calls set up per second, p50/p99 StasisStart-to-bridged
with the simulated agent's answer delay taken out, engine CPU seconds per call next to
Asterisk's, and engine peak memory. ``--json`` prints the same machine-readable.

    python benchmarks/inbound_calls.py --config var/bench.toml --calls 50,200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import settings as settings_mod  # noqa: E402
from engine.ari.client import AriClient  # noqa: E402
from engine.sim import parties  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def write_skills(folder: Path, agents: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    repo = ROOT / "skills"
    for name in ("ivr.yaml", "queues.yaml", "vip.yaml", "knowledge-base.yaml"):
        if (repo / name).exists():
            (folder / name).write_text((repo / name).read_text())
    pool = [
        {
            "id": str(5000 + i),
            "name": f"Bench agent {i}",
            "endpoint": parties.agent_endpoint(str(5000 + i)),
            "languages": ["zh", "en"],
            "skills": {"general": 3},
            "groups": ["general"],
            "auto_login": True,
        }
        for i in range(agents)
    ]
    doc = {
        "skills": ["technical", "billing", "general"],
        "groups": ["platinum", "technical", "billing", "general"],
        "agents": pool,
    }
    (folder / "agents.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))


async def place_calls(ari: AriClient, n: int, rate: float, hold: float, did: str) -> int:
    """Start n callers at a steady ``rate`` per second; each stays ``hold`` seconds, so
    with hold >= n / rate all n calls are up at once at the peak."""
    stamp = int(time.time() * 1000)
    tasks = []

    async def one(i: int) -> None:
        p = parties.caller(did, f"139{stamp % 10000:04d}{i:04d}", hold=hold)
        await ari.originate(p.pop("endpoint"), channelId=f"bench-{stamp}-{i}", **p)

    start = time.monotonic()
    for i in range(n):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        tasks.append(asyncio.create_task(one(i)))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    return sum(1 for r in results if isinstance(r, BaseException))


def peak_concurrency(rows: list[sqlite3.Row]) -> int:
    edges = sorted(
        [(r["connected_at"], 1) for r in rows if r["connected_at"]]
        + [(r["ended_at"], -1) for r in rows if r["connected_at"] and r["ended_at"]]
    )
    live = peak = 0
    for _, step in edges:
        live += step
        peak = max(peak, live)
    return peak


def read_records(db: Path, since: float) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("select * from calls where arrived_at >= ?", (since,)).fetchall()
    conn.close()
    return rows


async def run_level(
    cfg: settings_mod.Settings, engine_pid: int, asterisk_pid: int, n: int, rate: float
) -> dict:
    hold = n / rate + 3.0
    ari = AriClient(cfg.ari_url, cfg.ari_user, cfg.ari_password)
    since = time.time()
    cpu_e0, cpu_a0 = cpu_seconds(engine_pid), cpu_seconds(asterisk_pid)
    failed_originates = await place_calls(ari, n, rate, hold, "8100")
    db = Path(cfg.database_path)
    deadline = time.time() + hold + 60
    rows: list[sqlite3.Row] = []
    while time.time() < deadline:
        await asyncio.sleep(1.0)
        rows = read_records(db, since)
        if len([r for r in rows if r["ended_at"]]) >= n - failed_originates:
            break
    await asyncio.sleep(1.0)
    cpu_e, cpu_a = cpu_seconds(engine_pid) - cpu_e0, cpu_seconds(asterisk_pid) - cpu_a0
    await ari.close()
    done = [r for r in rows if r["connected_at"]]
    lat = [
        ((r["connected_at"] - r["arrived_at"]) - (r["agent_answered_at"] - r["agent_dialed_at"]))
        * 1000
        for r in done
    ]
    first = min((r["arrived_at"] for r in done), default=since)
    last = max((r["connected_at"] for r in done), default=since)
    return {
        "calls": n,
        "arrival_rate": rate,
        "peak_concurrent": peak_concurrency(rows),
        "connected": len(done),
        "failed_originates": failed_originates,
        "ended": sum(1 for r in rows if r["ended_at"]),
        "calls_per_second": round(len(done) / max(last - first, 1e-9), 1),
        "p50_ms": round(percentile(lat, 50), 2),
        "p99_ms": round(percentile(lat, 99), 2),
        "engine_cpu_s_per_call": round(cpu_e / max(n, 1), 5),
        "asterisk_cpu_s_per_call": round(cpu_a / max(n, 1), 5),
        "engine_to_asterisk_cpu": round(cpu_e / cpu_a, 3) if cpu_a else None,
        "engine_peak_rss_mb": round(peak_rss_mb(engine_pid), 1),
    }


async def main_async(args: argparse.Namespace) -> list[dict]:
    from engine.sandbox.asterisk import Sandbox
    from engine.sandbox.redis import RedisServer

    base = settings_mod.load(args.config)
    levels = [int(x) for x in args.calls.split(",")]
    work = Path(tempfile.mkdtemp(prefix="tenure-bench-"))
    write_skills(work / "skills", max(levels) + 20)
    redis_port, http_port = free_port(), free_port()
    redis = RedisServer(redis_port, work / "redis")
    redis.start()
    sandbox = Sandbox(base)
    sandbox.up()
    env = dict(
        os.environ,
        ENGINE_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        ENGINE_DATABASE_PATH=str(work / "engine.db"),
        ENGINE_HTTP_PORT=str(http_port),
        ENGINE_SKILLS_DIR=str(work / "skills"),
        ENGINE_LOG_LEVEL="warning",
    )
    cfg = settings_mod.load(
        args.config, environ={k: v for k, v in env.items() if k.startswith("ENGINE_")}
    )
    command = [sys.executable, "-m", "engine"]
    command += (["--config", args.config] if args.config else []) + ["run"]
    # started once, before any measurement
    engine = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: ASYNC220
    results = []
    try:
        ari = AriClient(cfg.ari_url, cfg.ari_user, cfg.ari_password)
        await ari.set_global("SIM_AGENT_DELAY", str(args.agent_delay))
        await ari.close()
        await asyncio.sleep(3.0)  # engine start-up, agents logged in
        asterisk_pid = sandbox.pid()
        for n in levels:
            print(f"== {n} concurrent calls ...", file=sys.stderr, flush=True)
            results.append(await run_level(cfg, engine.pid, asterisk_pid, n, args.rate))
    finally:
        engine.send_signal(signal.SIGTERM)
        engine.wait(20)
        redis.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=os.environ.get("ENGINE_CONFIG"))
    parser.add_argument("--calls", default="50,200", help="concurrency levels, comma-separated")
    parser.add_argument(
        "--rate",
        type=float,
        default=20.0,
        help="new calls per second; each call stays up calls/rate + 3 s, so "
        "all of a level's calls are up together at the peak",
    )
    parser.add_argument(
        "--agent-delay",
        type=float,
        default=1.0,
        help="simulated agent answer delay (taken out of the latency)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        f"{'calls':>6} {'peak':>5} {'ok':>5} {'cps':>7} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'eng cpu/call':>13} {'ast cpu/call':>13} {'ratio':>6} {'eng MB':>7}"
    )
    for r in results:
        print(
            f"{r['calls']:>6} {r['peak_concurrent']:>5} {r['connected']:>5} "
            f"{r['calls_per_second']:>7} {r['p50_ms']:>8} {r['p99_ms']:>8} "
            f"{r['engine_cpu_s_per_call']:>13} "
            f"{r['asterisk_cpu_s_per_call']:>13} {r['engine_to_asterisk_cpu']!s:>6} "
            f"{r['engine_peak_rss_mb']:>7}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
