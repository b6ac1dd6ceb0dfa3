"""Screen pop with next best action reaches the agent over the authenticated WebSocket
when a real call is bridged (issue 4, item 6): real sandbox Asterisk, Redis and SQLite."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path

import aiohttp
import pytest

from engine.calls.ports import Caller
from tests.integration.helpers import place_caller
from tests.storedb import replace

pytestmark = pytest.mark.integration
TEST_SKILLS = Path(__file__).parent / "skills"
RETENTION_SKILLS = Path(__file__).resolve().parents[2] / "skills"
NUMBER = "13700001111"
CUSTOMER = "cust-screenpop"
DAY = 86400.0


class Directory:
    """The caller lookup: the number belongs to the customer seeded below."""

    async def identify(self, caller_number: str) -> Caller | None:
        if caller_number == NUMBER:
            return Caller(CUSTOMER, name="Chen Jing", risk_tier="high", risk_score=0.81)
        return None


def _seed(db) -> None:  # type: ignore[no-untyped-def]
    now = time.time()
    replace(
        db,
        "customers",
        {
            "id": CUSTOMER,
            "name": "Chen Jing",
            "language": "zh",
            "timezone": "Asia/Shanghai",
            "created_at": now - 700 * DAY,
            "preferred_style": "brief, no small talk",
            "loyalty_level": "gold",
            "loyalty_points": 5400,
            "prediction_opt_out": 0,
        },
    )
    replace(
        db,
        "orders",
        [
            {
                "id": "o-recent",
                "customer_id": CUSTOMER,
                "at": now - 20 * DAY,
                "amount": 399.0,
                "product": "basic-plan",
                "status": "delivered",
            },
            {
                "id": "o-late",
                "customer_id": CUSTOMER,
                "at": now - 3 * DAY,
                "amount": 59.0,
                "product": "router",
                "status": "delayed",
            },
            {
                "id": "o-old",
                "customer_id": CUSTOMER,
                "at": now - 200 * DAY,
                "amount": 999.0,
                "product": "phone",
                "status": "delivered",
            },
        ],
    )
    replace(
        db,
        "tickets",
        [
            {
                "id": "t-open",
                "customer_id": CUSTOMER,
                "status": "open",
                "kind": "complaint",
                "subject": "charged twice for the router",
                "opened_at": now - 2 * DAY,
            },
            {
                "id": "t-done",
                "customer_id": CUSTOMER,
                "status": "resolved",
                "kind": "ticket",
                "subject": "password reset",
                "opened_at": now - 60 * DAY,
            },
        ],
    )
    replace(
        db,
        "interactions",
        [
            {
                "id": "i1",
                "customer_id": CUSTOMER,
                "channel": "chat",
                "conversation_id": "conv-9",
                "topic": "billing",
                "content": "I was charged twice for order o-late",
                "direction": "customer",
                "status": "open",
                "at": now - 3600,
            },
            {
                "id": "i2",
                "customer_id": CUSTOMER,
                "channel": "chat",
                "conversation_id": "conv-9",
                "topic": "billing",
                "content": "Here is the screenshot of my bank statement",
                "direction": "customer",
                "status": "open",
                "at": now - 3500,
            },
            {
                "id": "i3",
                "customer_id": CUSTOMER,
                "channel": "email",
                "conversation_id": "conv-1",
                "topic": "delivery",
                "content": "Where is my parcel?",
                "direction": "customer",
                "status": "resolved",
                "at": now - 30 * DAY,
            },
        ],
    )
    replace(
        db,
        "interventions",
        [
            {
                "customer_id": CUSTOMER,
                "kind": "care:notify",
                "at": now - 90 * DAY,
                "by": "agent-7",
                "outcome": "accepted",
                "details": json.dumps({"offer": {"kind": "coupon", "value": 20}}),
            },
            {
                "customer_id": CUSTOMER,
                "kind": "outreach:email",
                "at": now - 40 * DAY,
                "by": "outreach",
                "outcome": "no-answer",
                "details": "{}",
            },
        ],
    )
    replace(
        db,
        "risk",
        {
            "customer_id": CUSTOMER,
            "tier": "high",
            "score": 0.81,
            "reasons": json.dumps(
                [
                    {"tag": "unresolved-complaint", "weight": 1.4},
                    {"tag": "avg-order-value-down", "weight": 0.6},
                ]
            ),
            "scored_at": now,
        },
    )


@pytest.fixture
async def screen_engine(engine_factory, tmp_path):
    skills = tmp_path / "skills"
    shutil.copytree(TEST_SKILLS, skills)
    for name in ("offers.yaml", "care-rules.yaml", "next-best-action.yaml"):
        shutil.copy(RETENTION_SKILLS / name, skills / name)
    engine = await engine_factory(
        lookup=Directory(), skills_dir=str(skills), database_path=str(tmp_path / "engine.db")
    )
    await engine.db.run(_seed)
    await engine.router.presence.pause("2004", "meeting")  # billing goes to 2003
    return engine


def _url(engine, path: str) -> str:  # type: ignore[no-untyped-def]
    return f"http://{engine.settings.http_host}:{engine.settings.http_port}{path}"


async def test_screen_pop_reaches_the_agent_over_the_websocket(screen_engine, ari):
    engine = screen_engine
    token = engine.settings.api_token
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(
            _url(engine, "/agents/2003/screen"), headers={"Authorization": f"Bearer {token}"}
        ) as ws:
            await place_caller(ari, "8000", NUMBER, dtmf="2")  # billing, topic billing
            pop = None
            while pop is None:
                msg = await asyncio.wait_for(ws.receive(), 30)
                assert msg.type == aiohttp.WSMsgType.TEXT, msg
                data = json.loads(msg.data)
                if data.get("type") == "screen-pop":
                    pop = data
        assert pop["agent_id"] == "2003" and pop["caller_number"] == NUMBER
        assert pop["customer"]["id"] == CUSTOMER and pop["customer"]["name"] == "Chen Jing"
        assert pop["customer"]["preferred_style"] == "brief, no small talk"
        assert pop["customer"]["loyalty"] == {"level": "gold", "points": 5400}
        assert pop["topic"] == "billing"
        assert [o["order_id"] for o in pop["orders"]] == ["o-late", "o-recent"], (
            "the last 3 months only, newest first"
        )
        assert [t["id"] for t in pop["open_tickets"]] == ["t-open"]
        (conv,) = pop["unfinished_conversations"]
        assert conv["conversation_id"] == "conv-9" and conv["channel"] == "chat"
        assert [m["text"] for m in conv["messages"]] == [
            "I was charged twice for order o-late",
            "Here is the screenshot of my bank statement",
        ]
        assert pop["risk"]["tier"] == "high"
        assert [r["tag"] for r in pop["risk"]["reasons"]] == [
            "unresolved-complaint",
            "avg-order-value-down",
        ]
        assert [w["outcome"] for w in pop["worked_before"]] == ["accepted"]
        nba = pop["next_best_action"]
        assert nba["rule"] == "express-refund", nba
        assert "Skip routine checks" in nba["steps"] and nba["offer"]["kind"] == "coupon"
        assert "topic: billing" in nba["because"] and "mood: agitated" in nba["because"]
        assert [o["product"] for o in pop["offers"]][:1] == ["advanced-plan"]

        # the same screen pop over plain HTTP while the call lasts
        async with http.get(
            _url(engine, "/agents/2003/screen"), headers={"Authorization": f"Bearer {token}"}
        ) as resp:
            assert resp.status == 200
            assert (await resp.json())["screen"]["call_id"] == pop["call_id"]


async def test_unauthenticated_screen_is_refused(screen_engine):
    engine = screen_engine
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"Authorization": "Bearer wrong-token"}):
            with pytest.raises(aiohttp.WSServerHandshakeError) as err:
                await http.ws_connect(_url(engine, "/agents/2003/screen"), headers=headers)
            assert err.value.status == 401
        async with http.get(_url(engine, "/agents/2003/screen")) as resp:
            assert resp.status == 401
            assert (await resp.json())["error_id"] == "unauthorized"


async def test_value_view_and_a_broken_rule_edit_over_http(screen_engine):
    engine = screen_engine
    auth = {"Authorization": f"Bearer {engine.settings.api_token}"}
    async with aiohttp.ClientSession(headers=auth) as http:
        async with http.get(_url(engine, f"/profiles/customers/{CUSTOMER}/value")) as resp:
            assert resp.status == 200
            value = await resp.json()
        assert value["lifetime_value"] == 399.0 + 59.0 + 999.0
        assert value["loyalty"] == {"level": "gold", "points": 5400}
        assert "loyalty-gold" in value["flags"] and value["arm"] in ("control", "treatment")
        async with http.get(_url(engine, "/profiles/customers/nobody/value")) as resp:
            assert resp.status == 404 and (await resp.json())["error_id"] == "not-found"
        path = engine.settings.skills_path / "next-best-action.yaml"
        path.write_text(path.read_text().replace("moods: [agitated, angry]", "moods: agitated"))
        async with http.post(_url(engine, "/retention/reload")) as resp:
            assert resp.status == 422
            errors = (await resp.json())["errors"]["next-best-action.yaml"]
        assert errors and errors[0].startswith(f"{path}:") and "not of type 'array'" in errors[0]
        rec = engine.retention.nba_rules.current.rules[0]
        assert rec.name == "express-refund" and rec.sets["moods"] == {"agitated", "angry"}
