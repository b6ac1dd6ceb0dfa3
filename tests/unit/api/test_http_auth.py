"""The HTTP API refuses requests without the bearer token and renders errors as JSON."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from engine.api.http import build_app, json_response, read_json
from engine.errors import InvalidRequest

routes = web.RouteTableDef()


@routes.post("/things")
async def create(request: web.Request) -> web.Response:
    body = await read_json(request)
    if "name" not in body:
        raise InvalidRequest("name is required", field="name")
    return json_response({"created": body["name"]}, status=201)


async def _client() -> TestClient:
    client = TestClient(TestServer(build_app("s3cret", [routes])))
    await client.start_server()
    return client


async def test_health_needs_no_token():
    client = await _client()
    try:
        assert (await client.get("/health")).status == 200
    finally:
        await client.close()


async def test_missing_or_wrong_token_is_401():
    client = await _client()
    try:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "s3cret"}):
            resp = await client.post("/things", json={"name": "x"}, headers=headers)
            assert resp.status == 401
            assert (await resp.json())["error_id"] == "unauthorized"
    finally:
        await client.close()


async def test_bad_body_is_a_400_naming_the_problem():
    client = await _client()
    auth = {"Authorization": "Bearer s3cret"}
    try:
        resp = await client.post("/things", data=b"{not json", headers=auth)
        assert resp.status == 400 and "not valid JSON" in (await resp.json())["message"]
        resp = await client.post("/things", json={"other": 1}, headers=auth)
        body = await resp.json()
        assert resp.status == 400 and body["details"] == {"field": "name"}
        resp = await client.post("/things", json={"name": "ok"}, headers=auth)
        assert resp.status == 201
    finally:
        await client.close()
