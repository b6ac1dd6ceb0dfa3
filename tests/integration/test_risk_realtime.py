"""Churn risk in real time (issue 4, items 3-4) on thousands of generated customers in a
real SQLite file (and in PostgreSQL) and a real Redis: tiers match the rules; one event
re-scores its customer at once and triggers the outreach of its new tier (a callback due
within 24 h, a message or a promotion to a webhook on 127.0.0.1); the control arm and
opted-out customers are never contacted; training on the generated history separates
churners from the rest."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp import web

from engine import cli
from engine.profiles.ingest.service import ProfileStore
from engine.profiles.retention.service import Retention
from engine.profiles.risk import config as risk_config
from engine.profiles.risk.service import RiskService
from engine.schemas import MIGRATIONS
from engine.settings import Settings, load
from engine.sim.customers import generate as gen
from engine.store.database import Database
from tests.conftest import free_port
from tests.storedb import query

pytestmark = pytest.mark.integration
SKILLS = Path(__file__).resolve().parents[2] / "skills"
CONFIG = risk_config.load(SKILLS / "risk-tags.yaml")
END = 1_780_000_000.0
CUSTOMERS = 3000
SEED = 5
PREFIX = "risktest"


class Hook:
    """The outreach webhook: a local aiohttp server that keeps every body it gets."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.arrived = asyncio.Condition()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/outreach"

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        async with self.arrived:
            self.bodies.append(body)
            self.arrived.notify_all()
        return web.json_response({"ok": True})

    async def wait_for(self, customer_id: str, kind: str) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next(
                (b for b in self.bodies if b["customer_id"] == customer_id and b["kind"] == kind),
                None,
            )

        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: found() is not None), 30)
        body = found()
        assert body is not None
        return body


@dataclass
class World:
    db: Database
    store: ProfileStore
    risk: RiskService
    retention: Retention
    settings: Settings
    redis: aioredis.Redis
    labels: dict[str, gen.Label]
    hook: Hook
    used: set[str] = field(default_factory=set)

    async def rows(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """``sql`` with ``?`` for each of ``args``, on either backend."""
        parts = sql.split("?")
        named = "".join(p + (f":p{i}" if i < len(args) else "") for i, p in enumerate(parts))
        params = {f"p{i}": a for i, a in enumerate(args)}
        return await self.db.run(lambda d: query(d, named, **params))

    async def pick(self, arm: str, need_email: bool = False) -> str:
        """A low-risk customer with a phone, no open ticket, not opted out, in ``arm``."""
        rows = await self.rows(
            "SELECT c.id FROM customers c JOIN risk r ON r.customer_id = c.id "
            "WHERE r.tier = 'low' AND r.tags = '[]' AND coalesce(c.contact_opt_out, 0) = 0 "
            "AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = c.id "
            "AND t.status = 'open') AND EXISTS (SELECT 1 FROM contact_points p WHERE "
            "p.customer_id = c.id AND p.kind = 'phone') AND (? = 0 OR EXISTS (SELECT 1 FROM "
            "contact_points p WHERE p.customer_id = c.id AND p.kind = 'email')) ORDER BY c.id",
            int(need_email),
        )
        cid = next(
            r["id"] for r in rows if r["id"] not in self.used and self.retention.arm(r["id"]) == arm
        )
        self.used.add(cid)
        return cid

    async def send(self, customer_id: str, type_: str, **data: Any) -> None:
        n = len(self.used) * 100 + len(
            await self.rows("SELECT id FROM events WHERE source = 'test'")
        )
        result = await self.store.ingest(
            [
                {
                    "id": f"test-{n}",
                    "type": type_,
                    "customer_id": customer_id,
                    "at": END - 60,
                    "source": "test",
                    "data": data,
                }
            ]
        )
        assert result.stored and not result.errors, result.as_dict()

    async def risk_of(self, customer_id: str) -> dict[str, Any] | None:
        rows = await self.rows("SELECT * FROM risk WHERE customer_id = ?", customer_id)
        return rows[0] if rows else None


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The module's store, once per backend: a SQLite file or a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path_factory.mktemp("risk") / "profiles.db")
    server = request.getfixturevalue("postgres_server")
    name = f"risk_{secrets.token_hex(4)}"
    url = server.create_database(name, "tenure_template")
    request.addfinalizer(lambda: server.drop_database(name))
    return str(url)


@pytest.fixture(scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, target: str
) -> AsyncIterator[World]:
    work = tmp_path_factory.mktemp("risk")
    db = await Database(target, MIGRATIONS).open()
    store = ProfileStore(db, clock=lambda: END)
    events, labels = [], {}
    for i in range(CUSTOMERS):
        evs, label = gen.customer(i, SEED, END)
        events += evs
        labels[label.customer_id] = label
    events.sort(key=lambda e: e["at"])
    for i in range(0, len(events), 2000):  # the history, as an import would
        result = await store.ingest(events[i : i + 2000])
        assert not result.errors, result.errors[:3]
    hook = Hook()
    app = web.Application()
    app.router.add_post("/outreach", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", hook.port).start()
    settings = load(
        None,
        environ={},
        database_path=target if target.endswith(".db") else str(work / "profiles.db"),
        database_url="" if target.endswith(".db") else target,
        skills_dir=str(SKILLS),
        redis_url=redis_url,
        redis_prefix=PREFIX,
        outreach_webhook_url=hook.url,
        risk_model_path=str(work / "model.json"),
    )
    redis = aioredis.from_url(redis_url, decode_responses=True)
    for key in await redis.keys(f"{PREFIX}:*"):  # the other backend's run left its state
        await redis.delete(key)
    retention = Retention(settings, db, redis)
    risk = RiskService(settings, db, redis, retention.arm, clock=lambda: END, poll=0.2)
    assert await risk.sweep() == CUSTOMERS  # the imported history scored
    task = asyncio.create_task(risk.run())  # webhooks delivered from now on
    store.listeners.append(risk.on_batch)
    yield World(db, store, risk, retention, settings, redis, labels, hook)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await risk.close()
    await retention.care.close()
    await runner.cleanup()
    await redis.aclose()
    await db.close()


async def test_tiers_match_the_rules(world: World) -> None:
    risk = {r["customer_id"]: r for r in await world.rows("SELECT * FROM risk")}
    opted = {cid for cid, label in world.labels.items() if label.opted_out}
    assert set(risk) == set(world.labels) - opted, "every customer scored but the opted out"
    weights = {t.name: t.weight for t in CONFIG.tags}
    for r in risk.values():
        z = CONFIG.intercept + sum(weights[t] for t in json.loads(r["tags"]))
        assert r["tier"] == CONFIG.tiers.of(1 / (1 + math.exp(-z))), r
        reasons = json.loads(r["reasons"])
        assert [x["tag"] for x in reasons] == sorted(
            json.loads(r["tags"]), key=lambda t: -weights[t]
        )
    open_tickets = {
        r["customer_id"]: r["n"]
        for r in await world.rows(
            "SELECT customer_id, count(*) AS n FROM tickets WHERE status = 'open' GROUP BY 1"
        )
    }
    complaints = {
        r["customer_id"]
        for r in await world.rows(
            "SELECT customer_id FROM tickets WHERE status = 'open' AND kind = 'complaint'"
        )
    }
    for cid, r in risk.items():
        tags = json.loads(r["tags"])
        assert ("tickets-unresolved" in tags) == (open_tickets.get(cid, 0) >= 3), cid
        assert ("unresolved-complaint" in tags) == (cid in complaints), cid
    by_kind: dict[str, list[str]] = {}
    for cid, r in risk.items():
        by_kind.setdefault(world.labels[cid].archetype, []).append(r["tier"])
    for kind in ("ticket-heavy", "drifting", "complainer"):
        assert set(by_kind[kind]) == {"high"}, kind
    assert by_kind["dormant-after-inquiry"].count("low") == 0
    assert by_kind["loyal"].count("low") / len(by_kind["loyal"]) > 0.8


async def test_a_third_open_ticket_books_a_callback_at_once(world: World) -> None:
    cid = await world.pick("treatment")
    pubsub = world.redis.pubsub()
    await pubsub.subscribe(f"{PREFIX}:events:risk")
    for n in range(2):
        await world.send(cid, "ticket.opened", ticket_id=f"{cid}-new-{n}", topic="billing")
        assert (await world.risk_of(cid) or {}).get("tier") == "low"
    await world.send(cid, "ticket.opened", ticket_id=f"{cid}-new-2", topic="billing")
    risk = await world.risk_of(cid)
    assert risk is not None and risk["tier"] == "high"
    assert json.loads(risk["reasons"])[0]["description"] == "3 unresolved tickets"
    (callback,) = await world.rows("SELECT * FROM callbacks WHERE customer_id = ?", cid)
    phone = (
        await world.rows(
            "SELECT value FROM contact_points WHERE customer_id = ? AND kind = 'phone'", cid
        )
    )[0]["value"]
    assert callback["status"] == "pending" and END < callback["due_at"] <= END + 24 * 3600
    assert callback["number"] == phone and callback["priority"] > 0
    assert [
        (i["kind"], i["by"], i["outcome"])
        for i in await world.rows("SELECT * FROM interventions WHERE customer_id = ?", cid)
    ] == [("outreach:callback", "risk-policy", "scheduled")]
    assert [
        (c["old_tier"], c["new_tier"])
        for c in await world.rows("SELECT * FROM risk_changes WHERE customer_id = ?", cid)
    ] == [("low", "high")]
    message = None
    for _ in range(100):  # None is also what the subscribe confirmation gives
        got = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
        data = json.loads(got["data"]) if got else {}
        if data.get("customer_id") == cid:
            message = data
            break
    assert message is not None, "no risk event published"
    assert (message["old_tier"], message["new_tier"]) == ("low", "high")
    assert message["outreach"] == {"kind": "callback", "outcome": "scheduled"}
    await pubsub.aclose()
    await world.send(cid, "ticket.opened", ticket_id=f"{cid}-new-3")  # still high
    assert len(await world.rows("SELECT * FROM callbacks WHERE customer_id = ?", cid)) == 1


async def test_medium_and_low_reach_the_webhook(world: World) -> None:
    cid = await world.pick("treatment", need_email=True)
    await world.send(cid, "ticket.opened", ticket_id=f"{cid}-c", kind="complaint", topic="refund")
    assert (await world.risk_of(cid) or {})["tier"] == "medium"
    body = await world.hook.wait_for(cid, "outreach")
    email = (
        await world.rows(
            "SELECT value FROM contact_points WHERE customer_id = ? AND kind = 'email'", cid
        )
    )[0]["value"]
    name = (await world.rows("SELECT name FROM customers WHERE id = ?", cid))[0]["name"]
    assert (body["tier"], body["previous_tier"], body["channel"], body["to"]) == (
        "medium",
        "low",
        "email",
        email,
    )
    assert name in body["message"] and body["reasons"][0]["tag"] == "unresolved-complaint"
    await world.send(cid, "ticket.resolved", ticket_id=f"{cid}-c")
    promotion = await world.hook.wait_for(cid, "promotion")
    assert (promotion["tier"], promotion["previous_tier"]) == ("low", "medium")
    assert promotion["offer"] == {"kind": "discount", "value": 10}
    kinds = [
        i["kind"]
        for i in await world.rows(
            "SELECT * FROM interventions WHERE customer_id = ? ORDER BY id", cid
        )
    ]
    assert kinds == ["outreach:message", "outreach:promotion"]


async def test_control_arm_is_recorded_not_contacted(world: World) -> None:
    cid = await world.pick("control")
    for n in range(3):
        await world.send(cid, "ticket.opened", ticket_id=f"{cid}-k{n}")
    assert (await world.risk_of(cid) or {})["tier"] == "high"
    assert await world.rows("SELECT * FROM callbacks WHERE customer_id = ?", cid) == []
    assert [
        (i["kind"], i["outcome"], i["arm"])
        for i in await world.rows("SELECT * FROM interventions WHERE customer_id = ?", cid)
    ] == [("outreach:callback", "control-not-contacted", "control")]


async def test_opted_out_customers_get_nothing(world: World) -> None:
    cid = await world.pick("treatment", need_email=True)
    await world.send(cid, "consent.changed", prediction_opt_out=True)
    assert await world.risk_of(cid) is None
    await world.send(cid, "ticket.opened", ticket_id=f"{cid}-o", kind="complaint")
    for n in range(3):
        await world.send(cid, "ticket.opened", ticket_id=f"{cid}-o{n}")
    assert await world.risk_of(cid) is None
    for table in ("callbacks", "interventions", "risk_changes", "risk_outreach"):
        assert await world.rows(f"SELECT * FROM {table} WHERE customer_id = ?", cid) == []
    opted = [c for c, label in world.labels.items() if label.opted_out]
    marks = ",".join("?" * len(opted))
    for table in ("risk", "callbacks", "risk_outreach"):
        assert (
            await world.rows(f"SELECT * FROM {table} WHERE customer_id IN ({marks})", *opted) == []
        ), table
    assert (
        await world.rows(
            f"SELECT * FROM interventions WHERE by = 'risk-policy' AND customer_id IN ({marks})",
            *opted,
        )
        == []
    )
    assert all(b["customer_id"] not in set(opted) | {cid} for b in world.hook.bodies)


async def test_training_on_the_generated_history(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENGINE_DATABASE_PATH", world.settings.database_path)
    monkeypatch.setenv("ENGINE_DATABASE_URL", world.settings.database_url)
    monkeypatch.setenv("ENGINE_SKILLS_DIR", str(SKILLS))
    monkeypatch.setenv("ENGINE_RISK_MODEL_PATH", world.settings.risk_model_path)
    capsys.readouterr()
    assert await asyncio.to_thread(cli.main, ["risk", "train", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows"] > 2500 and report["test_rows"] == round(report["rows"] * 0.25)
    assert report["auc"] > 0.7
    assert len(report["reliability"]) == 10
    assert report["weights"]["tickets-unresolved"] > 0
    assert world.risk.reload()["model.json"] == []
    assert world.risk.model.version == report["version"]
    cid = await world.pick("treatment")
    await world.send(cid, "login")
    risk = await world.risk_of(cid)
    assert risk is not None and risk["model"] == report["version"]
