"""Agent presence and live metrics over the authenticated HTTP API."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from engine.api.http import build_app
from engine.calls.ports import Offer, RouteRequest
from engine.routing import http as routing_http
from engine.routing.config import load_config
from engine.routing.service import RoutingService

pytestmark = pytest.mark.integration
SKILLS = Path(__file__).resolve().parents[2] / "skills"
TOKEN = "test-token-routing"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def api(redis_client, tmp_path):
    for name in ("agents.yaml", "queues.yaml", "vip.yaml", "knowledge-base.yaml"):
        shutil.copy(SKILLS / name, tmp_path / name)
    svc = RoutingService(
        redis_client,
        load_config(tmp_path),
        prefix="rh",
        ring_timeout=5,
        wrapup_seconds=0,
        instance="h1",
        skills_dir=tmp_path,
        watch=False,
    )
    offers: list[Offer] = []

    async def on_offer(offer: Offer) -> None:
        offers.append(offer)

    svc.set_offer_callback(on_offer)
    await svc.start()
    app = build_app(TOKEN, [routing_http.routes])
    app[routing_http.ROUTING] = svc
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    yield client, svc, offers, tmp_path
    await client.close()
    await svc.stop()


async def test_requires_the_bearer_token(api):
    client, *_ = api
    assert (await client.get("/agents")).status == 401


async def test_logout_pause_unpause_login(api):
    client, *_ = api
    r = await client.post("/agents/1006/logout", headers=AUTH)
    assert (r.status, (await r.json())["state"]) == (200, "logged_out")
    r = await client.post("/agents/1006/pause", headers=AUTH, json={"reason": "lunch"})
    assert r.status == 409 and (await r.json())["error_id"] == "conflict"
    r = await client.post("/agents/1006/login", headers=AUTH)
    assert (await r.json())["state"] == "available"
    r = await client.post("/agents/1006/pause", headers=AUTH, json={"reason": "lunch"})
    assert (await r.json())["state"] == "paused"
    agent = await (await client.get("/agents/1006", headers=AUTH)).json()
    assert (agent["state"], agent["reason"]) == ("paused", "lunch")
    r = await client.post("/agents/1006/pause", headers=AUTH, json={"reason": "nap"})
    assert r.status == 400
    r = await client.post("/agents/1006/unpause", headers=AUTH)
    assert (await r.json())["state"] == "available"
    assert (await client.post("/agents/nobody/login", headers=AUTH)).status == 404


async def test_queues_and_agents_metrics(api):
    client, svc, offers, _ = api
    for agent_id in svc.config.agents:
        await svc.presence.logout(agent_id)
    await svc.enqueue(RouteRequest("w1", "general", svc.clock(), "en"))
    queues = {q["queue"]: q for q in await (await client.get("/queues", headers=AUTH)).json()}
    assert queues["general"]["waiting"] == 1 and queues["general"]["entered"] == 1
    assert queues["general"]["service_level_target"] == {"percent": 80.0, "seconds": 20.0}
    await client.post("/agents/1006/login", headers=AUTH)  # login offers the call at once
    assert offers and offers[-1].call_id == "w1"
    agents = {a["id"]: a for a in await (await client.get("/agents", headers=AUTH)).json()}
    assert agents["1006"]["state"] == "ringing" and agents["1006"]["call_id"] == "w1"


async def test_reload_endpoint_reports_file_line_column(api):
    client, _, _, skills = api
    queues = skills / "queues.yaml"
    queues.write_text(queues.read_text().replace("strategy: longest-idle", "strategy: random"))
    r = await client.post("/routing/reload", headers=AUTH)
    body = await r.json()
    assert r.status == 422 and body["details"]["errors"][0].startswith(f"{queues}:")
    config = await (await client.get("/routing/config", headers=AUTH)).json()
    assert config["last_reload_errors"] == body["details"]["errors"]


async def test_a_stopped_redis_is_a_503_naming_it(tmp_path):
    """Redis gone under a running service: the client gets JSON 503, not a plain-text 500."""
    import redis.asyncio as aioredis

    from engine.sandbox.redis import RedisServer
    from tests.conftest import free_port

    server = RedisServer(free_port(), tmp_path / "redis").start()
    client_redis = aioredis.from_url(
        server.url, decode_responses=True, socket_connect_timeout=1, socket_timeout=2
    )
    svc = RoutingService(
        client_redis,
        load_config(SKILLS),
        prefix="rd",
        ring_timeout=5,
        wrapup_seconds=0,
        instance="d1",
        watch=False,
    )
    await svc.start()
    app = build_app(TOKEN, [routing_http.routes])
    app[routing_http.ROUTING] = svc
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        assert (await client.get("/agents/1006", headers=AUTH)).status == 200
        server.stop()
        r = await client.get("/agents/1006", headers=AUTH)
        body = await r.json()
        assert r.status == 503, body
        assert body["error_id"] == "service-unavailable"
        assert body["details"]["dependency"] == "redis"
    finally:
        await client.close()
        with contextlib.suppress(Exception):
            await svc.stop()
        with contextlib.suppress(Exception):
            await client_redis.aclose()
        server.stop()
