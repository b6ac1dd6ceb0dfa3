"""Care service against real SQLite and PostgreSQL and a real local webhook (aiohttp test server):
once per cause, control arm recorded but not contacted, quiet hours, retries."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from engine.profiles.care import rules as care
from engine.profiles.care.service import CareService
from engine.schemas import MIGRATIONS
from engine.store.database import Database
from tests.storedb import execute, insert, query

SKILLS = Path(__file__).resolve().parents[4] / "skills"
RULES = care.load(SKILLS / "care-rules.yaml")
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()


class Hook:
    """A real HTTP server on loopback that answers with the statuses it is given."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.received: list[dict] = []
        self.statuses = statuses or []

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(await request.json())
        return web.Response(status=self.statuses.pop(0) if self.statuses else 204)


@pytest.fixture
async def hook(aiohttp_server_factory):
    return await aiohttp_server_factory()


@pytest.fixture
async def aiohttp_server_factory():
    runners = []

    async def make(statuses: list[int] | None = None):
        h = Hook(statuses)
        app = web.Application()
        app.router.add_post("/care", h.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        runners.append(runner)
        return h, f"http://127.0.0.1:{port}/care"

    yield make
    for r in runners:
        await r.cleanup()


@pytest.fixture
async def db(store_target):
    database = await Database(store_target, MIGRATIONS).open()

    def customers(d):
        insert(
            d,
            "customers",
            [
                {"id": "c1", "name": "Li", "timezone": "Asia/Shanghai", "contact_opt_out": 0},
                {"id": "c2", "name": "Wu", "timezone": "Asia/Shanghai", "contact_opt_out": 1},
                {"id": "c3", "name": "Ng", "timezone": "America/New_York", "contact_opt_out": 0},
            ],
        )

    await database.run(customers)
    yield database
    await database.close()


def _service(db, url, now, arms=None):
    clock = {"now": now}
    svc = CareService(
        db,
        None,
        "t",
        lambda: RULES,
        url,
        arm_of=lambda cid: (arms or {}).get(cid, "treatment"),
        clock=lambda: clock["now"],
        backoff=0.0,
    )
    return svc, clock


async def _rows(db, sql):
    return await db.run(query, sql)


async def test_delivery_delay_is_delivered_once_and_recorded_as_intervention(db, hook):
    received, url = hook
    svc, _ = _service(db, url, NOON)
    event = {
        "id": "e1",
        "type": "delivery.delayed",
        "customer_id": "c1",
        "at": NOON,
        "data": {"order_id": "A1", "delay_hours": 5, "status_url": "https://x/A1"},
    }
    assert [d.rule for d in await svc.on_event(event)] == ["delivery-delay"]
    assert await svc.on_event({**event, "id": "e2"}) == []
    assert await svc.deliver_due() == 1
    assert await svc.deliver_due() == 0
    (body,) = received.received
    assert body["customer_id"] == "c1" and body["cause"] == "A1" and body["channel"] == "sms"
    assert "5 hours" in body["message"] and body["offer"] == {"kind": "coupon", "value": 20}
    (iv,) = await _rows(db, "SELECT * FROM interventions WHERE customer_id = 'c1'")
    assert iv["kind"] == "care:notify" and iv["by"] == "care:delivery-delay"
    await svc.close()


async def test_opted_out_and_control_arm_are_never_contacted(db, hook):
    received, url = hook
    svc, _ = _service(db, url, NOON, arms={"c1": "control"})
    for cid in ("c1", "c2"):
        await svc.on_event(
            {
                "type": "delivery.delayed",
                "customer_id": cid,
                "at": NOON,
                "order_id": "Z",
                "delay_hours": 4,
            }
        )
    await svc.deliver_due()
    assert received.received == []
    rows = await _rows(db, "SELECT customer_id, status FROM care_fired")
    assert rows == [{"customer_id": "c1", "status": "control"}], "opt-out: nothing at all"
    (iv,) = await _rows(db, "SELECT outcome FROM interventions")
    assert iv["outcome"] == "control-not-contacted"
    await svc.close()


async def test_quiet_hours_hold_the_message_until_morning(db, hook):
    received, url = hook
    night = datetime(2026, 11, 20, 23, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    svc, clock = _service(db, url, night)
    (d,) = await svc.on_event(
        {
            "type": "delivery.delayed",
            "customer_id": "c1",
            "at": night,
            "order_id": "N1",
            "delay_hours": 3,
        }
    )
    assert d.status == "deferred"
    assert await svc.deliver_due() == 0 and received.received == []
    clock["now"] = d.due - 1
    assert await svc.deliver_due() == 0
    clock["now"] = d.due
    assert await svc.deliver_due() == 1 and received.received[0]["cause"] == "N1"
    # at the same instant it is 10:00 in New York: c3 hears at once
    (d3,) = await svc.on_event(
        {
            "type": "delivery.delayed",
            "customer_id": "c3",
            "at": night,
            "order_id": "N3",
            "delay_hours": 3,
        }
    )
    assert d3.status == "send"
    await svc.close()


async def test_failed_webhook_is_retried_then_given_up(db, aiohttp_server_factory):
    flaky, url = await aiohttp_server_factory([500, 503])
    svc, _ = _service(db, url, NOON)
    await svc.on_event(
        {"type": "inquiry", "customer_id": "c1", "at": NOON - 60, "topic": "billing"}
    )
    await svc.on_event({"type": "inquiry", "customer_id": "c1", "at": NOON, "topic": "billing"})
    assert [await svc.deliver_due() for _ in range(3)] == [0, 0, 1]
    assert [b["action"] for b in flaky.received] == ["escalate"] * 3
    (row,) = await _rows(db, "SELECT status, attempts FROM care_fired")
    assert row == {"status": "delivered", "attempts": 3}
    dead, dead_url = await aiohttp_server_factory([500] * 10)
    svc2, _ = _service(db, dead_url, NOON)
    await svc2.on_event(
        {
            "type": "delivery.delayed",
            "customer_id": "c1",
            "at": NOON,
            "order_id": "D",
            "delay_hours": 2,
        }
    )
    for _ in range(6):
        await svc2.deliver_due()
    assert len(dead.received) == 5
    rows = await _rows(db, "SELECT status FROM care_fired WHERE cause = 'D'")
    assert rows == [{"status": "failed"}]
    await svc.close()
    await svc2.close()


async def test_old_watched_events_are_pruned_but_served_causes_are_kept(db, hook):
    _, url = hook
    svc, clock = _service(db, url, NOON)
    for i in range(2):
        await svc.on_event(
            {
                "type": "page.viewed",
                "customer_id": "c1",
                "at": NOON + i,
                "page_kind": "promotion",
                "page_id": "p1",
            }
        )
    await svc.on_event(
        {
            "type": "delivery.delayed",
            "customer_id": "c1",
            "at": NOON,
            "order_id": "K",
            "delay_hours": 2,
        }
    )
    clock["now"] = NOON + 30 * 86400
    assert await svc.prune() == 2
    assert (
        await svc.on_event(
            {
                "type": "page.viewed",
                "customer_id": "c1",
                "at": clock["now"],
                "page_kind": "promotion",
                "page_id": "p1",
            }
        )
        == []
    ), "two old views are gone"
    assert (
        await svc.on_event(
            {
                "type": "delivery.delayed",
                "customer_id": "c1",
                "at": clock["now"],
                "order_id": "K",
                "delay_hours": 2,
            }
        )
        == []
    )
    await svc.close()


async def test_opting_out_during_quiet_hours_cancels_the_held_message(db, hook):
    received, url = hook
    night = datetime(2026, 11, 20, 23, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    svc, clock = _service(db, url, night)
    (d,) = await svc.on_event(
        {
            "type": "delivery.delayed",
            "customer_id": "c1",
            "at": night,
            "order_id": "Q1",
            "delay_hours": 3,
        }
    )
    await db.run(execute, "UPDATE customers SET contact_opt_out = 1 WHERE id = 'c1'")
    clock["now"] = d.due
    assert await svc.deliver_due() == 0 and received.received == []
    rows = await _rows(db, "SELECT status FROM care_fired WHERE cause = 'Q1'")
    assert rows == [{"status": "cancelled-opt-out"}]
    await svc.close()
