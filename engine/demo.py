"""`python -m engine demo`: the engine with simulated callers, agents and customers.

Brings the sandbox Asterisk up (building it the first time), starts a private
redis-server and the engine, fills the profile store with customers (a generated crowd
and the named callers of ``engine/demo_world.py``: a top spender, a customer at high risk
of leaving, a Mandarin speaker), places a scripted mix of simulated calls (IVR keys, a
caller who speaks to the IVR, a caller who gives up while waiting), prints each call's
progress as it happens, then runs the high-risk callback campaign over the simulated
customers (a person, an answering machine, no answer) and prints a summary of it all.
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

from sqlalchemy import text

from engine import demo_world
from engine.settings import Settings
from engine.sim import parties

if TYPE_CHECKING:
    from engine.app import Engine

# (delay before dialling, DID, caller number, DTMF keys, seconds the caller stays on)
SCENARIO: list[tuple[float, str, str, str | None, float]] = [
    (0.0, "8000", "13800138000", "1", 16.0),  # technical support by key 1 (platinum)
    (1.0, "8000", "13900139000", "2", 8.0),  # billing by key 2
    (2.0, "8100", "13700137000", None, 7.0),  # DID straight to the general queue
    (3.0, "8000", "13600136000", None, 36.0),  # no key: menu repeats, then default queue
    (4.0, "8200", "13500135000", None, 6.0),  # technical DID
    (5.0, "8000", "13400134000", "0", 6.0),  # key 0: general
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
                extra = {
                    "queued": f"queue={call['queue']}",
                    "ringing": f"agent={call['agent_id']} ringing",
                    "connected": f"talking to agent {call['agent_id']}",
                }.get(call["status"], "")
                print(
                    f"[{time.time() - self.since:6.1f}s] {call['caller_number']:>12} "
                    f"{call['status']:<12} {extra}",
                    flush=True,
                )


async def _place(
    engine: Engine,
    delay: float,
    did: str,
    number: str,
    dtmf: str | None,
    hold: float,
    voice: str | None = None,
) -> None:
    await asyncio.sleep(delay)
    params = parties.caller(
        did,
        number,
        dtmf=dtmf,
        dtmf_delay=2.0,
        hold=hold,
        wav=[voice, "silence/1"] if voice else None,
        wav_delay=1.0,
    )
    await engine.ari.originate(params.pop("endpoint"), **params)


async def _customers(engine: Engine) -> None:
    print("== customers", flush=True)
    seeded = await demo_world.seed(engine)
    print(
        f"{seeded['customers']} customers, {seeded['events']} events ingested in "
        f"{seeded['seconds']:.1f} s ({seeded['events'] / seeded['seconds']:.0f} events/s, "
        "each re-scored for churn risk)",
        flush=True,
    )
    risk = await demo_world.risk_of(engine)
    print(
        "risk tiers: "
        + ", ".join(f"{k} {v}" for k, v in sorted(risk["tiers"].items()))
        + f"; {risk['callbacks']} high-risk callbacks due within 24 h",
        flush=True,
    )
    for cid, (name, phone, what) in demo_world.NAMED.items():
        tier, score = risk["named"].get(cid, ("-", None))
        shown = f"{score:.2f}" if score is not None else "-"
        print(f"  {name:<10} {phone:>12}  risk {tier:<6} {shown:>5}  {what}", flush=True)


async def _callbacks(engine: Engine) -> None:
    print(
        "\n== high-risk callback campaign (progressive; the demo widens the calling "
        "window so it runs at any hour)",
        flush=True,
    )
    result = await demo_world.run_callbacks(engine)
    status = result["status"]
    if result["skipped"]:
        print(
            f"{result['skipped']} callbacks of the generated crowd are left for a real trunk",
            flush=True,
        )
    if status:
        attempts = status["progress"]["attempts"]["by_outcome"]
        print(
            "attempts: " + (", ".join(f"{k} {v}" for k, v in sorted(attempts.items())) or "none"),
            flush=True,
        )

    def interventions(db: Any) -> list[tuple[Any, ...]]:
        return db.execute(
            text(
                "SELECT customer_id, kind, outcome FROM interventions WHERE "
                "customer_id LIKE 'demo-%' AND kind LIKE 'dialer:%' ORDER BY at"
            )
        ).fetchall()

    for cid, kind, outcome in await engine.db.run(interventions):
        print(f"  {demo_world.NAMED[cid][0]:<10} {kind:<16} {outcome}", flush=True)


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
    settings = dataclasses.replace(
        settings, redis_url=redis.url, database_path=str(work / "demo.db")
    )
    engine = Engine(settings)
    await engine.start()
    print(f"== engine up (HTTP API on {settings.http_host}:{settings.http_port})", flush=True)
    try:
        await _customers(engine)
        voice = demo_world.synthesise_voice(sandbox.sounds_dir) if settings.speech_enabled else None
        scenario: list[tuple[Any, ...]] = list(SCENARIO)
        if voice:  # says 技术支持 ("technical support") to the main menu
            scenario.append((6.0, "8000", demo_world.SPEECH_NUMBER, None, 12.0, voice))
        print(f"\n== placing {len(scenario)} simulated calls", flush=True)
        since = time.time()
        narrator = Narrator(engine, since)
        await engine.ari.set_global("SIM_AGENT_DELAY", "1.5")
        callers = asyncio.gather(*(_place(engine, *step) for step in scenario))
        deadline = since + max(step[0] + step[4] for step in scenario) + 15
        while time.time() < deadline:
            narrator.poll()
            if callers.done() and not engine.calls.runners:
                break
            await asyncio.sleep(0.2)
        await callers
        await engine.calls.drain()
        _summary(await engine.records.recent(100), since)
        await _callbacks(engine)
    finally:
        await engine.stop()
        redis.stop()
        if not keep:
            sandbox.down()
    return 0


def _summary(records: list[dict[str, Any]], since: float) -> None:
    rows = sorted(
        (r for r in records if (r.get("arrived_at") or 0) >= since), key=lambda r: r["arrived_at"]
    )
    print("\n== calls")
    print(
        f"{'caller':>12} {'tier':<9} {'risk':<6} {'IVR path':<30} {'queue':<10} "
        f"{'agent':<6} {'arrived':>7} {'waited':>7} {'talked':>7}  status (hung up by)"
    )
    for r in rows:
        wait = (r["connected_at"] or r["ended_at"] or 0) - (r["queued_at"] or 0)
        talk = (r["ended_at"] or 0) - r["connected_at"] if r.get("connected_at") else 0
        path = " > ".join(r.get("ivr_path") or [])
        print(
            f"{r['caller_number']:>12} {r.get('vip_tier') or '-':<9} "
            f"{r.get('risk_tier') or '-':<6} {path:<30.30} {r.get('queue') or '-':<10} "
            f"{r.get('agent_id') or '-':<6} {_fmt(r['arrived_at'], since)} "
            f"{wait if r.get('queued_at') else 0:6.1f}s {talk:6.1f}s  "
            f"{r['status']} ({r.get('hangup_by') or '-'})"
        )
    answered = sum(1 for r in rows if r["status"] == "completed")
    print(
        f"\n{len(rows)} calls, {answered} answered by agents, {len(rows) - answered} not answered"
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="run the engine with simulated callers and agents")
    demo.add_argument("--keep", action="store_true", help="leave the sandbox Asterisk running")
    demo.set_defaults(func=lambda args: asyncio.run(run_demo(args.settings(), args.keep)))
