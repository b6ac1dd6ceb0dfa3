"""The engine's HTTP API: one aiohttp app, bearer-token auth, errors rendered once.

Domains contribute routes as ``aiohttp.web.RouteTableDef`` objects (``engine/<domain>/http.py``)
and read their services from typed app keys. Every route needs ``Authorization: Bearer
<api_token>`` except ``GET /health``; WebSockets may pass ``?token=`` instead, because
browsers cannot set headers on a WebSocket.

Every failure reaches the client as JSON ``{"error_id", "message", "details"}``, rendered by
one middleware (``_error_middleware``):

- domain errors (``engine/errors.py``) with their own status and id;
- aiohttp's own HTTP errors (404 unknown route, 405, 413 body too large...) with the same
  status and an id from its reason (``not-found``, ``method-not-allowed``...);
- Redis connection or timeout errors and Asterisk unreachable or answering 5xx
  (``AriUnavailable``) as 503 ``service-unavailable``, ``details.dependency`` saying which;
- anything else as 500 ``internal-error`` with ``details.reference``: the same reference is
  logged with the traceback, which never reaches the client.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import orjson
from aiohttp import web
from redis import exceptions as redis_errors

from engine.ari.errors import AriUnavailable
from engine.errors import EngineError, InternalError, InvalidRequest, Unavailable
from engine.logs import get_logger

log = get_logger(__name__)

PUBLIC_PATHS = frozenset({"/health", "/openapi.json", "/docs"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS),
        status=status,
        content_type="application/json",
    )


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


def wants_html(request: web.Request) -> bool:
    """A browser asking for a page (not a script asking for data)."""
    return request.method in ("GET", "HEAD") and "text/html" in request.headers.get("Accept", "")


def html_error(status: int, title: str, message: str) -> web.Response:
    """A plain error page for browsers; the same facts as the JSON, never a traceback."""
    page = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{status} {html.escape(title)}'
        f'</title><link rel="stylesheet" href="/static/tenure.css"></head><body>'
        f'<main class="login">'
        f"<h1>{status} · {html.escape(title)}</h1><p>{html.escape(message)}</p>"
        f'<p><a href="/">Tenure</a></p></main></body></html>'
    )
    return web.Response(text=page, status=status, content_type="text/html")


def _auth_middleware(token: str) -> Any:
    expected = token.encode()

    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in PUBLIC_PATHS:
            return await handler(request)
        header = request.headers.get("Authorization", "")
        given = header[7:] if header.startswith("Bearer ") else request.query.get("token", "")
        if not given or not hmac.compare_digest(given.encode(), expected):
            return error_response(
                401, "unauthorized", "missing or wrong bearer token (Authorization: Bearer ...)"
            )
        return await handler(request)

    return auth


def http_error_id(exc: web.HTTPException) -> str:
    """A kebab-case id from aiohttp's reason phrase: 405 -> ``method-not-allowed``."""
    return re.sub(r"[^a-z0-9]+", "-", exc.reason.lower()).strip("-") or f"http-{exc.status}"


def _http_error(exc: web.HTTPException) -> web.Response:
    details: dict[str, Any] = {}
    if isinstance(exc, web.HTTPMethodNotAllowed):
        details = {"method": exc.method, "allowed": sorted(exc.allowed_methods)}
    message = exc.text if exc.text and exc.text != f"{exc.status}: {exc.reason}" else exc.reason
    response = error_response(exc.status, http_error_id(exc), message, **details)
    for name in ("Allow", "Location", "Retry-After"):
        if name in exc.headers:
            response.headers[name] = exc.headers[name]
    return response


def unavailable(exc: BaseException) -> Unavailable | None:
    """The ``Unavailable`` a dependency's failure stands for, or None if it is not one."""
    if isinstance(exc, redis_errors.ConnectionError | redis_errors.TimeoutError):
        return Unavailable(
            "Redis is unavailable; try again shortly", dependency="redis", reason=type(exc).__name__
        )
    if isinstance(exc, AriUnavailable):
        return Unavailable(
            "Asterisk is unavailable; try again shortly", dependency="asterisk", status=exc.status
        )
    return None


@web.middleware
async def _error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await _errors_as_json(request, handler)
    body = response.body if isinstance(response, web.Response) else None
    json_error = isinstance(body, bytes) and response.content_type == "application/json"
    if response.status >= 400 and wants_html(request) and json_error:
        assert isinstance(body, bytes)
        error = orjson.loads(body)
        return html_error(response.status, str(error.get("error_id")), str(error.get("message")))
    return response


async def _errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except EngineError as exc:
        return json_response(exc.as_dict(), exc.status_code)
    except web.HTTPException as exc:
        if exc.status < 400:  # redirects and successes raised as exceptions
            raise
        return _http_error(exc)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if request.writer.output_size > 0:  # a WebSocket or stream already under way
            raise
        error: EngineError | None = unavailable(exc)
        if error is not None:
            log.warning(
                "http.dependency_unavailable",
                path=request.path,
                method=request.method,
                error=f"{type(exc).__name__}: {exc}",
                **error.details,
            )
        else:
            reference = secrets.token_hex(6)
            log.exception(
                "http.internal_error", path=request.path, method=request.method, reference=reference
            )
            error = InternalError(
                f"internal error; the log has the details under reference {reference}",
                reference=reference,
            )
        return json_response(error.as_dict(), error.status_code)


def build_app(
    token: str,
    route_tables: Iterable[web.RouteTableDef],
    setup: Iterable[Callable[[web.Application], None]] = (),
    auth: Any = None,
) -> web.Application:
    """``auth``: the middleware that identifies callers (``engine/users/http.py``); by
    default the single ``api_token`` bearer check."""
    if not token:
        raise ValueError("the HTTP API needs an api_token")
    from engine.api import openapi

    app = web.Application(
        middlewares=[_error_middleware, auth or _auth_middleware(token), openapi.validate_bodies]
    )
    openapi.setup(app)

    async def health(_: web.Request) -> web.Response:
        return json_response({"ok": True})

    app.router.add_get("/health", health)
    for table in route_tables:
        app.router.add_routes(table)
    for fn in setup:
        fn(app)
    return app
