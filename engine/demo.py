"""`python -m engine demo`: the engine with simulated callers, agents and customers.

Brings the sandbox Asterisk up (building it the first time), starts a private
redis-server and the engine, places a scripted mix of simulated calls (IVR keys,
a caller who gives up while waiting, a busy agent), prints each call's progress as it
happens and a summary table at the end, then shuts everything down again.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import socket
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.settings import Settings
from engine.sim import parties

if TYPE_CHECKING:
    from engine.app import Engine

# (delay before dialling, DID, caller number, DTMF keys, seconds the caller stays on)
SCENARIO: list[tuple[float, str, str, str | None, float]] = [
    (0.0, "8000", "13800138000", "1", 9.0),     # technical support by key 1
    (1.0, "8000", "13900139000", "2", 8.0),     # billing by key 2
    (2.0, "8100", "13700137000", None, 7.0),    # DID straight to the general queue
    (3.0, "8000", "13600136000", None, 36.0),   # no key: menu repeats, then default queue
    (4.0, "8200", "13500135000", None, 6.0),    # technical DID
    (5.0, "8000", "13400134000", "0", 6.0),     # key 0: general
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fmt(ts: float | None, since: float) -> str:
    return f"{ts - since:6.1f}s" if ts else "      -"


class Narrator:
    """Prints every call's transitions as the engine reports them."""

    def __init__(self, engine: Engine, since: float) -> None:
        self.engine, self.since = engine, since
        self.seen: dict[str, str] = {}

    def poll(self) -> None:
        for call in self.engine.calls.live_calls():
            before = self.seen.get(call["id"])
            if before != call["status"]:
                self.seen[call["id"]] = call["status"]
                extra = {"queued": f"queue={call['queue']}",
                         "ringing": f"agent={call['agent_id']} ringing",
                         "connected": f"talking to agent {call['agent_id']}"}.get(
                             call["status"], "")
                print(f"[{time.time() - self.since:6.1f}s] {call['caller_number']:>12} "
                      f"{call['status']:<12} {extra}", flush=True)


async def _place(engine: Engine, delay: float, did: str, number: str, dtmf: str | None,
                 hold: float) -> None:
    await asyncio.sleep(delay)
    params = parties.caller(did, number, dtmf=dtmf, dtmf_delay=2.0, hold=hold)
    await engine.ari.originate(params.pop("endpoint"), **params)


async def run_demo(settings: Settings, keep: bool) -> int:
    from engine.app import Engine
    from engine.sandbox.asterisk import Sandbox
    from engine.sandbox.redis import RedisServer

    sandbox = Sandbox(settings)
    print("== sandbox Asterisk", flush=True)
    sandbox.up()
    work = Path(tempfile.mkdtemp(prefix="tenure-demo-"))
    redis = RedisServer(_free_port(), work / "redis")
    redis.start()
    settings = dataclasses.replace(settings, redis_url=redis.url,
                                   database_path=str(work / "demo.db"))
    engine = Engine(settings)
    await engine.start()
    print(f"== engine up (HTTP API on {settings.http_host}:{settings.http_port}); "
          f"placing {len(SCENARIO)} simulated calls", flush=True)
    since = time.time()
    narrator = Narrator(engine, since)
    try:
        await engine.ari.set_global("SIM_AGENT_DELAY", "1.5")
        callers = asyncio.gather(*(_place(engine, *step) for step in SCENARIO))
        deadline = since + max(d + h for d, _, _, _, h in SCENARIO) + 15
        while time.time() < deadline:
            narrator.poll()
            if callers.done() and not engine.calls.runners:
                break
            await asyncio.sleep(0.2)
        await callers
        await engine.calls.drain()
        _summary(await engine.records.recent(100), since)
    finally:
        await engine.stop()
        redis.stop()
        if not keep:
            sandbox.down()
    return 0


def _summary(records: list[dict[str, Any]], since: float) -> None:
    rows = sorted((r for r in records if (r.get("arrived_at") or 0) >= since),
                  key=lambda r: r["arrived_at"])
    print("\n== calls")
    print(f"{'caller':>12} {'IVR path':<44} {'queue':<10} {'agent':<6} {'arrived':>7} "
          f"{'waited':>7} {'talked':>7}  status (hung up by)")
    for r in rows:
        wait = (r["connected_at"] or r["ended_at"] or 0) - (r["queued_at"] or 0)
        talk = (r["ended_at"] or 0) - r["connected_at"] if r.get("connected_at") else 0
        path = " > ".join(r.get("ivr_path") or [])
        print(f"{r['caller_number']:>12} {path:<44.44} {r.get('queue') or '-':<10} "
              f"{r.get('agent_id') or '-':<6} {_fmt(r['arrived_at'], since)} "
              f"{wait if r.get('queued_at') else 0:6.1f}s {talk:6.1f}s  "
              f"{r['status']} ({r.get('hangup_by') or '-'})")
    answered = sum(1 for r in rows if r["status"] == "completed")
    print(f"\n{len(rows)} calls, {answered} answered by agents, "
          f"{len(rows) - answered} not answered")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = sub.add_parser("demo", help="run the engine with simulated callers and agents")
    demo.add_argument("--keep", action="store_true", help="leave the sandbox Asterisk running")
    demo.set_defaults(func=lambda args: asyncio.run(run_demo(args.settings(), args.keep)))
