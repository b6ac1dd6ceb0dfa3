"""The engine's HTTP API: one aiohttp app, bearer-token auth, errors rendered once.

Domains contribute routes as ``aiohttp.web.RouteTableDef`` objects (``engine/<domain>/http.py``)
and read their services from typed app keys. Every route needs ``Authorization: Bearer
<api_token>`` except ``GET /health``; WebSockets may pass ``?token=`` instead, because
browsers cannot set headers on a WebSocket.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import orjson
from aiohttp import web

from engine.errors import EngineError, InvalidRequest

PUBLIC_PATHS = frozenset({"/health"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS),
                        status=status, content_type="application/json")


def error_response(status: int, error_id: str, message: str, **details: Any) -> web.Response:
    return json_response({"error_id": error_id, "message": message, "details": details}, status)


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, or a 400 that says what is wrong with it."""
    body = await request.read()
    if not body:
        raise InvalidRequest("request body is empty; expected JSON")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"request body is not valid JSON: {exc}") from None


def _auth_middleware(token: str) -> Any:
    expected = token.encode()

    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in PUBLIC_PATHS:
            return await handler(request)
        header = request.headers.get("Authorization", "")
        given = header[7:] if header.startswith("Bearer ") else request.query.get("token", "")
        if not given or not hmac.compare_digest(given.encode(), expected):
            return error_response(401, "unauthorized",
                                  "missing or wrong bearer token (Authorization: Bearer ...)")
        return await handler(request)

    return auth


@web.middleware
async def _error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except EngineError as exc:
        return json_response(exc.as_dict(), exc.status_code)


def build_app(token: str, route_tables: Iterable[web.RouteTableDef],
              setup: Iterable[Callable[[web.Application], None]] = ()) -> web.Application:
    if not token:
        raise ValueError("the HTTP API needs an api_token")
    app = web.Application(middlewares=[_error_middleware, _auth_middleware(token)])

    async def health(_: web.Request) -> web.Response:
        return json_response({"ok": True})

    app.router.add_get("/health", health)
    for table in route_tables:
        app.router.add_routes(table)
    for fn in setup:
        fn(app)
    return app
