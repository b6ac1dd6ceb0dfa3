"""The demo's world: customers in the profile store, a Mandarin voice for a speech caller,
and the high-risk callback campaign dialling the simulated customers.

A generated crowd (``engine/sim/customers/generate.py``) gives the spend ranking and the risk
model something to work on; a handful of named customers are the demo's callers and the
customers the dialer calls back. Everything goes in through the profile store's ingest,
so re-scoring, outreach and care run exactly as they do for events from other systems.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from engine.sim import parties, voices
from engine.sim.customers import generate

if TYPE_CHECKING:
    from engine.app import Engine

CROWD = 400
SEED = 7
DAY = 86400.0
SPEECH_NUMBER = "13300133000"
VOICE = "tenure/demo-jishu-zhichi"  # 技术支持, "technical support"
# customer id -> (name, phone, what the demo shows with them)
NAMED = {
    "demo-vip": ("Wang Fang", "13800138000", "top spender: platinum tier, dedicated agents"),
    "demo-risk": ("Li Lei", "13900139000", "three open tickets and a complaint: high risk"),
    "demo-speech": ("Zhao Min", SPEECH_NUMBER, "prefers Mandarin, speaks to the IVR"),
    "demo-machine": (
        "Chen Jie",
        parties.customer_number("machine", "0420001"),
        "high risk, an answering machine picks up the callback",
    ),
    "demo-noanswer": (
        "Sun Hui",
        parties.customer_number("noanswer", "0420002"),
        "high risk, does not pick up the callback",
    ),
}


def _event(n: int, type_: str, customer: str, at: float, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"demo-{customer}-{n}",
        "type": type_,
        "customer_id": customer,
        "at": at,
        "source": "demo",
        "data": data,
    }


class _History:
    def __init__(self, customer: str, now: float) -> None:
        self.customer, self.now = customer, now
        self.events: list[dict[str, Any]] = []

    def add(self, type_: str, days_ago: float, **data: Any) -> None:
        self.events.append(
            _event(len(self.events), type_, self.customer, self.now - days_ago * DAY, data)
        )


def _history(cid: str, name: str, phone: str, now: float) -> list[dict[str, Any]]:
    h = _History(cid, now)
    h.add(
        "customer.updated",
        400,
        name=name,
        phones=[phone],
        language="zh",
        timezone="Asia/Shanghai",
        plan="basic-plan",
    )
    if cid == "demo-vip":
        h.add("customer.updated", 300, loyalty_level="platinum", loyalty_points=52000)
        for k in range(6):
            h.add(
                "order.placed",
                250 - 40 * k,
                order_id=f"{cid}-o{k}",
                amount=9800.0,
                product="advanced-plan",
            )
        h.add("login", 1, channel="app")
        return h.events
    h.add("order.placed", 200, order_id=f"{cid}-o1", amount=320.0, product="basic-plan")
    h.add("order.placed", 120, order_id=f"{cid}-o2", amount=80.0, product="basic-plan")
    if cid == "demo-speech":
        h.add("login", 2, channel="app")
        return h.events
    h.add(
        "interaction",
        12,
        channel="chat",
        conversation_id=f"{cid}-conv",
        direction="in",
        topic="billing",
        content="我的账单为什么多扣了钱？",
        status="open",
    )
    for k in range(3):
        h.add(
            "ticket.opened",
            10 - k,
            ticket_id=f"{cid}-t{k}",
            kind="ticket",
            subject="double charge",
            topic="billing",
        )
    h.add(
        "ticket.opened",
        6,
        ticket_id=f"{cid}-c1",
        kind="complaint",
        subject="nobody answers my chat",
        topic="billing",
    )
    for k in range(3):
        h.add("rating", 9 - k, stars=2, channel="chat")
    return h.events


def named_events(now: float) -> list[dict[str, Any]]:
    """The named customers' histories, oldest first."""
    return [e for cid, (name, phone, _) in NAMED.items() for e in _history(cid, name, phone, now)]


async def seed(engine: Engine, crowd: int = CROWD) -> dict[str, Any]:
    """Ingest the crowd and the named customers; returns what was stored and how fast."""
    now = time.time()
    events: list[dict[str, Any]] = []
    for i in range(crowd):
        events += generate.customer(i, SEED, now)[0]
    events = [e for e in events if e["at"] <= now] + named_events(now)
    started, stored = time.perf_counter(), 0
    for k in range(0, len(events), 500):
        stored += len((await engine.profiles.ingest(events[k : k + 500])).stored)
    took = time.perf_counter() - started
    return {"customers": crowd + len(NAMED), "events": stored, "seconds": took}


async def risk_of(engine: Engine) -> dict[str, Any]:
    def read(db: Any) -> dict[str, Any]:
        tiers = dict(db.execute(text("SELECT tier, count(*) FROM risk GROUP BY tier")).fetchall())
        named = {
            r[0]: (r[1], r[2])
            for r in db.execute(
                text("SELECT customer_id, tier, score FROM risk WHERE customer_id LIKE 'demo-%'")
            )
        }
        callbacks = db.execute(
            text("SELECT count(*) FROM callbacks WHERE status = 'pending'")
        ).fetchone()[0]
        return {"tiers": tiers, "named": named, "callbacks": callbacks}

    return await engine.db.run(read)


def synthesise_voice(sounds_dir: Path) -> str | None:
    """技术支持 in Mandarin (espeak-ng pinyin voice), 8 kHz for Asterisk; None without
    espeak-ng or sox."""
    if voices.missing_tools():
        return None
    return voices.say(sounds_dir, VOICE.split("/", 1)[1], "ji4 shu4 zhi1 chi2", speed=160)


async def run_callbacks(engine: Engine, timeout: float = 90.0) -> dict[str, Any]:
    """The high-risk callback campaign, progressive, over the named customers' numbers
    (the crowd's +86 numbers would need a real trunk: the demo leaves them pending)."""

    def only_named(db: Any) -> int:
        return db.execute(
            text(
                "UPDATE callbacks SET status = 'demo-not-dialled' WHERE status = "
                "'pending' AND customer_id NOT LIKE 'demo-%'"
            )
        ).rowcount

    skipped = await engine.db.run(only_named)
    await engine.ari.set_global("SIM_TALK", "6")
    campaign = await engine.dialer.create(
        {
            "name": "high-risk callbacks",
            "kind": "callback",
            "mode": "progressive",
            "policy": {"window": {"start": "00:00", "end": "23:59"}, "max_attempts": 1},
        }
    )
    await engine.dialer.control(campaign["id"], "start")
    deadline = time.time() + timeout
    status: dict[str, Any] = {}
    while time.time() < deadline:
        await asyncio.sleep(2)
        status = await engine.dialer.status(campaign["id"])
        contacts = status["progress"]["contacts"]
        if contacts["total"] and not contacts["pending"] and not status["live"]["lines"]:
            break
    await engine.dialer.control(campaign["id"], "stop")
    return {"skipped": skipped, "status": status}
