"""The OpenAPI document built from routes, body validation, and the Prometheus figures."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from engine.api.http import build_app, json_response
from engine.web.metrics import render

routes = web.RouteTableDef()


@routes.post("/agents/{agent_id}/{action:login|logout}")
async def presence(request: web.Request) -> web.Response:
    """Agent presence."""
    return json_response({"ok": True})


@routes.post("/desk/disposition")
async def disposition(request: web.Request) -> web.Response:
    return json_response({"ok": True}, 201)


async def test_document_and_validation():
    client = TestClient(TestServer(build_app("s3cret", [routes])))
    await client.start_server()
    try:
        doc = await (await client.get("/openapi.json")).json()
        op = doc["paths"]["/agents/{agent_id}/{action}"]["post"]
        assert op["summary"] == "Agent presence."
        assert op["parameters"][1] == {
            "name": "action",
            "in": "path",
            "required": True,
            "schema": {"enum": ["login", "logout"]},
        }
        schema = doc["paths"]["/desk/disposition"]["post"]["requestBody"]
        assert schema["content"]["application/json"]["schema"]["required"] == [
            "call_id",
            "outcome",
        ]
        auth = {"Authorization": "Bearer s3cret"}
        resp = await client.post("/desk/disposition", json={"call_id": "c"}, headers=auth)
        assert resp.status == 400
        assert "outcome" in (await resp.json())["message"]
        resp = await client.post(
            "/desk/disposition", json={"call_id": "c", "outcome": "resolved"}, headers=auth
        )
        assert resp.status == 201
        resp = await client.post("/desk/disposition", json={"call_id": "c"})
        assert resp.status == 401, "authentication comes before validation"
    finally:
        await client.close()


def test_metrics_text():
    text = render(
        {
            "outcomes": {"completed": 3, "abandoned": 1},
            "live_calls": 2,
            "queues": [
                {
                    "queue": "billing",
                    "waiting": 1,
                    "longest_wait": 12.5,
                    "service_level": 80.0,
                    "abandoned": 1,
                },
                {
                    "queue": "vip",
                    "waiting": 0,
                    "longest_wait": 0.0,
                    "service_level": None,
                    "abandoned": 0,
                },
            ],
            "agents": [{"state": "available"}, {"state": "on_call"}, {"state": "available"}],
            "speech": {"legs": 4, "recognition": {"lag": 0.25, "level": 1}},
            "campaigns": [
                {
                    "name": "win-back",
                    "progress": {"abandon": {"rate": 0.01, "limit": 0.03}},
                    "agents": {"occupancy": 0.9},
                    "live": {"lines": 5},
                },
            ],
            "tiers": {"high": 7, "low": 20},
        }
    ).decode()
    assert 'tenure_calls_by_outcome{outcome="completed"} 3.0' in text
    assert 'tenure_queue_service_level_percent{queue="billing"} 80.0' in text
    assert 'queue="vip"' not in text.split("tenure_queue_service_level_percent")[2]
    assert 'tenure_agents{state="available"} 2.0' in text
    assert "tenure_speech_lag_seconds 0.25" in text
    assert 'tenure_dialer_abandon_limit{campaign="win-back"} 0.03' in text
    assert 'tenure_dialer_occupancy{campaign="win-back"} 0.9' in text
    assert 'tenure_dialer_lines{campaign="win-back"} 5.0' in text
    assert 'tenure_risk_customers{tier="high"} 7.0' in text
