"""Profile events over the authenticated HTTP API on SQLite and PostgreSQL (issue 4, item 2):
401 without the token, 422 naming the bad field, idempotent batches, the customer view.
The routes run in the engine's own app factory (``engine.api.http.build_app``)."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer

from engine.api.http import build_app
from engine.profiles.ingest import http as ingest_http
from engine.profiles.ingest.service import ProfileStore
from engine.schemas import MIGRATIONS
from engine.store.database import Database

pytestmark = pytest.mark.integration
TOKEN = "test-token-profiles"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
AT = "2025-05-01T09:00:00+08:00"


def batch(n: int, prefix: str = "b") -> list[dict]:
    events: list[dict] = [
        {
            "id": f"{prefix}-c",
            "type": "customer.updated",
            "customer_id": "C1",
            "at": AT,
            "source": "crm",
            "data": {
                "name": "王芳",
                "phones": ["138 0013 8000"],
                "chat_ids": ["wx-1"],
                "language": "zh",
                "timezone": "Asia/Shanghai",
            },
        }
    ]
    for i in range(n):
        events.append(
            {
                "id": f"{prefix}-{i}",
                "type": "login",
                "customer_id": "C1",
                "at": 1746061200 + i,
                "data": {"channel": "app"},
            }
        )
    return events


@pytest.fixture
async def api(store_target):
    db = await Database(store_target, MIGRATIONS).open()
    app = build_app(TOKEN, [ingest_http.routes])
    app[ingest_http.PROFILE_STORE] = ProfileStore(db)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    yield client
    await client.close()
    await db.close()


async def test_every_route_needs_the_token(api):
    event = batch(0)[0]
    assert (await api.post("/profiles/events", json=event)).status == 401
    assert (await api.post("/profiles/events/batch", json={"events": [event]})).status == 401
    assert (await api.get("/profiles/customers/C1")).status == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await api.post("/profiles/events", json=event, headers=wrong)).status == 401
    r = await api.get("/profiles/customers/C1", headers=AUTH)
    assert r.status == 404, "nothing was stored without the token"


async def test_one_event_stored_then_duplicate(api):
    event = batch(0)[0]
    r = await api.post("/profiles/events", json=event, headers=AUTH)
    assert (r.status, (await r.json())["status"]) == (201, "stored")
    r = await api.post("/profiles/events", json=event, headers=AUTH)
    assert (r.status, (await r.json())["status"]) == (200, "duplicate")


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"id": "x", "type": "rating", "customer_id": "C1", "data": {"stars": 7}}, "data.stars"),
        ({"id": "x", "type": "order.shipped", "customer_id": "C1"}, "type"),
        ({"id": "x", "type": "login", "customer_id": "C1", "at": "tomorrow"}, "at"),
        ({"type": "login", "customer_id": "C1"}, "id"),
        (
            {
                "id": "x",
                "type": "customer.updated",
                "customer_id": "C1",
                "data": {"timezone": "Asia/Atlantis"},
            },
            "data.timezone",
        ),
        (
            {"id": "x", "type": "inquiry", "customer_id": "C1", "data": {"channel": "chat"}},
            "data.conversation_id",
        ),
    ],
)
async def test_bad_event_is_422_naming_the_field(api, event, field):
    r = await api.post("/profiles/events", json=event, headers=AUTH)
    body = await r.json()
    assert r.status == 422
    assert body["error_id"] == "invalid-event"
    assert body["details"]["field"] == field
    assert body["message"].startswith(f"{field}: ")
    if field == "type":
        assert "order.shipped" in body["message"]


async def test_body_that_is_not_json_is_400(api):
    r = await api.post("/profiles/events", data=b"{not json", headers=AUTH)
    assert r.status == 400 and (await r.json())["details"]["field"] == "body"


async def test_batch_is_idempotent(api):
    events = batch(50)
    r = await api.post("/profiles/events/batch", json={"events": events}, headers=AUTH)
    assert r.status == 200
    assert (await r.json())["stored"] == 51
    first = await (await api.get("/profiles/customers/C1", headers=AUTH)).json()
    r = await api.post("/profiles/events/batch", json={"events": events}, headers=AUTH)
    body = await r.json()
    assert (r.status, body["stored"], body["duplicates"]) == (200, 0, 51)
    assert await (await api.get("/profiles/customers/C1", headers=AUTH)).json() == first
    history = await (await api.get("/profiles/customers/C1/events", headers=AUTH)).json()
    assert len(history["events"]) == 51


async def test_batch_with_bad_events_keeps_the_good_ones(api):
    events = batch(3, "m")
    events.insert(
        2, {"id": "m-bad", "type": "rating", "customer_id": "C1", "data": {"stars": "five"}}
    )
    r = await api.post("/profiles/events/batch", json={"events": events}, headers=AUTH)
    body = await r.json()
    assert r.status == 422
    assert body["stored"] == 4
    assert body["errors"] == [
        {
            "index": 2,
            "id": "m-bad",
            "field": "data.stars",
            "reason": "must be an integer from 1 to 5",
        }
    ]
    events[2]["data"]["stars"] = 5  # fixed, the whole batch again
    r = await api.post("/profiles/events/batch", json={"events": events}, headers=AUTH)
    body = await r.json()
    assert (r.status, body["stored"], body["duplicates"]) == (200, 1, 4)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"events": "all of them"}, 422, "events"),
        ([1, 2], 422, "events"),
        ({"events": [{"id": str(i)} for i in range(1001)]}, 413, "events"),
    ],
)
async def test_batch_shape_is_checked(api, body, status, field):
    r = await api.post("/profiles/events/batch", json=body, headers=AUTH)
    assert r.status == status
    assert (await r.json())["details"]["field"] == field


async def test_customer_view(api):
    events = [
        *batch(0),
        {
            "id": "k1",
            "type": "inquiry",
            "customer_id": "C1",
            "at": 1746061300,
            "data": {
                "channel": "chat",
                "conversation_id": "conv-1",
                "topic": "refund",
                "content": "退款什么时候到账?",
            },
        },
        {
            "id": "k2",
            "type": "interaction",
            "at": 1746064900,
            "data": {
                "channel": "phone",
                "conversation_id": "conv-1",
                "phone": "+8613800138000",
                "content": "calling about my refund",
            },
        },
        {
            "id": "t1",
            "type": "ticket.opened",
            "customer_id": "C1",
            "at": 1746061400,
            "data": {"ticket_id": "T-1", "kind": "complaint", "subject": "refund late"},
        },
        {
            "id": "o1",
            "type": "order.placed",
            "customer_id": "C1",
            "at": 1746061000,
            "data": {"order_id": "A-1", "amount": 199.0, "product": "router"},
        },
        {
            "id": "c1",
            "type": "consent.changed",
            "customer_id": "C1",
            "at": 1746065000,
            "data": {"prediction_opt_out": True},
        },
    ]
    r = await api.post("/profiles/events/batch", json={"events": events}, headers=AUTH)
    assert r.status == 200, await r.text()
    view = await (await api.get("/profiles/customers/C1", headers=AUTH)).json()
    assert view["customer"]["name"] == "王芳"
    assert view["customer"]["prediction_opt_out"] is True
    assert {(c["kind"], c["value"]) for c in view["contact_points"]} == {
        ("phone", "13800138000"),
        ("chat", "wx-1"),
    }
    conv = view["conversations"][0]
    assert (conv["conversation_id"], conv["channels"]) == ("conv-1", ["chat", "phone"])
    assert [m["kind"] for m in conv["messages"]] == ["inquiry", "interaction"]
    assert [t["id"] for t in view["open_tickets"]] == ["T-1"]
    assert view["recent_orders"][0]["amount"] == 199.0
    assert view["risk"] is None
