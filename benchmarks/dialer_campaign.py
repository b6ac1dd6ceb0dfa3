"""Benchmark: one whole outbound campaign through the engine and the sandbox Asterisk.

Starts the sandbox (if needed), a private redis-server and the engine in this process
with ``--agents`` simulated agents, imports ``--contacts`` simulated customers (a mix of
people, machines, busy, no answer and congestion, by the first digit of the number),
runs the campaign in ``--mode`` to the end and prints: wall time, dials per minute,
outcomes, the time from AMD's verdict to the agent bridged (p50/p95, the simulated
agent's answer delay included), agents' occupancy and the abandon rate.

    python benchmarks/dialer_campaign.py --config var/demo.toml --contacts 40 --agents 4
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import settings as settings_mod  # noqa: E402
from engine.sim import parties  # noqa: E402

MIX = {"human": 0.4, "machine": 0.2, "busy": 0.15, "noanswer": 0.15, "congestion": 0.1}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def skills_dir(work: Path, agents: int) -> Path:
    folder = work / "skills"
    shutil.copytree(ROOT / "tests" / "integration" / "skills", folder)
    doc = yaml.safe_load((folder / "agents.yaml").read_text())
    doc["agents"] = [
        {
            "id": str(3001 + i),
            "name": f"Bench {i}",
            "endpoint": parties.agent_endpoint(str(3001 + i)),
            "languages": ["en"],
            "skills": {"general": 3},
            "groups": ["general"],
            "auto_login": True,
        }
        for i in range(agents)
    ]
    (folder / "agents.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return folder


def contacts_csv(n: int) -> str:
    rows, kinds = [], [k for k, share in MIX.items() for _ in range(round(share * n))]
    for i, kind in enumerate((kinds * 2)[:n]):
        number = parties.customer_number(kind, f"8{i:05d}")
        rows.append(f"{number},bench-{i},UTC,0,{kind}")
    return "\n".join(rows) + "\n"


async def run(args: argparse.Namespace) -> dict[str, object]:
    from engine.app import Engine
    from engine.logs import configure_logging
    from engine.sandbox.asterisk import Sandbox
    from engine.sandbox.redis import RedisServer

    work = Path(tempfile.mkdtemp(prefix="dialer-bench-"))
    base = settings_mod.load(args.config)
    configure_logging("error", base.log_format)
    redis = RedisServer(free_port(), work / "redis")
    redis.start()
    settings = dataclasses.replace(
        base,
        redis_url=str(redis.url),
        http_port=free_port(),
        database_path=str(work / "engine.db"),
        skills_dir=str(skills_dir(work, args.agents)),
        log_level="error",
    )
    sandbox = Sandbox(settings)
    was_up = sandbox.pid() is not None  # leave the machine as it was found
    sandbox.up()
    engine = Engine(settings)
    await engine.start()
    try:
        for name, value in {
            **parties.customer_globals(ring=1, noanswer_ring=3),
            **parties.agent_defaults(delay=0.3, talk=args.talk),
        }.items():
            await engine.ari.set_global(name, value)
        svc = engine.dialer
        window = {"start": "00:00", "end": "23:59"}  # contacts are in UTC
        campaign = await svc.create(
            {
                "name": "bench",
                "kind": "manual",
                "mode": args.mode,
                "policy": {
                    "window": window,
                    "max_attempts": 2,
                    "machine": "message",
                    "retry_seconds": {"busy": 1, "no-answer": 1, "failed": 1},
                },
            }
        )
        await svc.import_csv(campaign["id"], contacts_csv(args.contacts))
        started = time.monotonic()
        await svc.control(campaign["id"], "start")
        occupancy = []
        while (status := await svc.status(campaign["id"]))["status"] != "done":
            if status["agents"]["occupancy"] is not None:
                occupancy.append(status["agents"]["occupancy"])
            if time.monotonic() - started > args.timeout:
                raise SystemExit(f"campaign not done after {args.timeout} s: {status}")
            await asyncio.sleep(1.0)
        wall = time.monotonic() - started

        def details(db):  # type: ignore[no-untyped-def]
            return [
                json.loads(r[0] or "{}")
                for r in db.execute("SELECT details FROM attempts WHERE outcome = 'answered'")
            ]

        waits = [d["agent_after"] for d in await engine.db.run(details) if "agent_after" in d]
        progress = status["progress"]
        return {
            "contacts": args.contacts,
            "agents": args.agents,
            "mode": args.mode,
            "wall_seconds": round(wall, 1),
            "dials": progress["attempts"]["total"],
            "dials_per_minute": round(progress["attempts"]["total"] / wall * 60, 1),
            "outcomes": progress["attempts"]["by_outcome"],
            "verdict_to_bridged_p50": percentile(waits, 50),
            "verdict_to_bridged_p95": percentile(waits, 95),
            "occupancy_last": occupancy[-1] if occupancy else None,
            "abandon_rate": progress["abandon"]["rate"],
        }
    finally:
        for name in ("SIM_RING", "SIM_NOANSWER_RING", "SIM_AGENT_DELAY", "SIM_AGENT_TALK"):
            await engine.ari.set_global(name, "")
        await engine.stop()
        redis.stop()
        shutil.rmtree(work, ignore_errors=True)
        if not was_up:
            sandbox.down()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config",
        help="TOML with ari_password, ami_secret, api_token "
        "(sandbox placement may come from ENGINE_*)",
    )
    parser.add_argument("--contacts", type=int, default=40)
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--mode", choices=("progressive", "predictive"), default="predictive")
    parser.add_argument("--talk", type=float, default=5.0, help="seconds agents talk (5)")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
