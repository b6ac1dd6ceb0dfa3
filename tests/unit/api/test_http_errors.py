"""Every failure reaches an HTTP client as JSON with an error id, never as a traceback."""

from __future__ import annotations

import pytest
import redis.exceptions
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from engine.api.http import build_app, http_error_id, json_response, read_json
from engine.ari.errors import AriConflict, AriUnavailable, error_for
from engine.errors import Conflict, NotFound

AUTH = {"Authorization": "Bearer s3cret"}
routes = web.RouteTableDef()


@routes.post("/things")
async def create(request: web.Request) -> web.Response:
    body = await read_json(request)
    return json_response({"created": body}, status=201)


@routes.get("/things/{name}")
async def show(request: web.Request) -> web.Response:
    failures = {
        "missing": lambda: NotFound("no such thing", name="missing"),
        "taken": lambda: Conflict("already taken"),
        "redis-down": lambda: redis.exceptions.ConnectionError("Connection refused"),
        "redis-slow": lambda: redis.exceptions.TimeoutError("Timeout reading from socket"),
        "ari-down": lambda: AriUnavailable(0, "ClientConnectorError", "GET", "/channels"),
        "ari-500": lambda: error_for(500, "Internal Server Error", "POST", "/bridges"),
        "ari-409": lambda: AriConflict(409, "Channel not in Stasis", "POST", "/channels/x"),
        "bug": lambda: KeyError("secret-internal-detail"),
    }
    name = request.match_info["name"]
    if name in failures:
        raise failures[name]()
    return json_response({"name": name})


@pytest.fixture
async def client():
    app = build_app("s3cret", [routes])
    app._client_max_size = 1024  # so a 413 is cheap to provoke
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client
    await client.close()


async def _error(resp) -> dict:
    assert resp.content_type == "application/json", await resp.text()
    body = await resp.json()
    assert set(body) == {"error_id", "message", "details"}
    return body


async def test_domain_errors_keep_their_status_and_id(client):
    resp = await client.get("/things/missing", headers=AUTH)
    body = await _error(resp)
    assert resp.status == 404 and body["error_id"] == "not-found"
    assert body["details"] == {"name": "missing"}
    resp = await client.get("/things/taken", headers=AUTH)
    assert resp.status == 409 and (await _error(resp))["error_id"] == "conflict"


async def test_unknown_route_is_a_json_404(client):
    resp = await client.get("/nowhere", headers=AUTH)
    body = await _error(resp)
    assert resp.status == 404 and body["error_id"] == "not-found"


async def test_wrong_method_is_a_json_405_naming_the_allowed_ones(client):
    resp = await client.delete("/things", headers=AUTH)
    body = await _error(resp)
    assert resp.status == 405 and body["error_id"] == "method-not-allowed"
    assert body["details"] == {"method": "DELETE", "allowed": ["POST"]}
    assert resp.headers["Allow"] == "POST"


async def test_a_body_too_large_is_a_json_413(client):
    resp = await client.post("/things", data=b"x" * 4096, headers=AUTH)
    body = await _error(resp)
    assert resp.status == 413 and body["error_id"] == "request-entity-too-large"
    assert "1024" in body["message"]


async def test_bad_json_body_is_a_400(client):
    resp = await client.post("/things", data=b"{oops", headers=AUTH)
    body = await _error(resp)
    assert resp.status == 400 and body["error_id"] == "invalid-request"


@pytest.mark.parametrize(
    ("name", "dependency"),
    [
        ("redis-down", "redis"),
        ("redis-slow", "redis"),
        ("ari-down", "asterisk"),
        ("ari-500", "asterisk"),
    ],
)
async def test_an_unreachable_dependency_is_a_503_naming_it(client, name, dependency):
    resp = await client.get(f"/things/{name}", headers=AUTH)
    body = await _error(resp)
    assert resp.status == 503 and body["error_id"] == "service-unavailable"
    assert body["details"]["dependency"] == dependency


async def test_any_other_failure_is_a_json_500_with_a_logged_reference(client, capsys):
    for name in ("bug", "ari-409"):
        resp = await client.get(f"/things/{name}", headers=AUTH)
        body = await _error(resp)
        assert resp.status == 500 and body["error_id"] == "internal-error"
        reference = body["details"]["reference"]
        assert reference in body["message"]
        assert "Traceback" not in body["message"] and "secret-internal-detail" not in str(body)
        logged = capsys.readouterr()
        assert reference in logged.out + logged.err


async def test_the_token_is_still_checked_before_routing(client):
    resp = await client.get("/nowhere")
    assert resp.status == 401 and (await _error(resp))["error_id"] == "unauthorized"


def test_error_ids_come_from_the_reason():
    assert http_error_id(web.HTTPUnsupportedMediaType()) == "unsupported-media-type"
