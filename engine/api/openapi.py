"""The HTTP API described as OpenAPI 3.1, built from the app's own routes, and request
bodies validated against it.

``describe(app)`` walks the router: every route's path (a ``{name:a|b}`` pattern becomes a
path parameter with that ``enum``), its method, the first line of its handler's docstring
and, where the route takes a JSON body, the body's JSON Schema from ``BODIES``. The
document is served at ``GET /openapi.json`` and as a readable page at ``GET /docs`` (no
script, nothing from a CDN). ``validate_bodies`` refuses, before the handler runs, a JSON
body that does not match its schema: 400 ``invalid-request`` naming the field. It reads
the body first (``request.read()`` caches it for the handler, but the stream is then at its
end: handlers ask ``request.body_exists``, not ``can_read_body``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web
from jsonschema import Draft202012Validator

from engine.errors import InvalidRequest
from engine.routing.presence import PAUSE_REASONS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_ENUM = re.compile(r"\(\?P<(\w+)>([\w|-]+)\)")
_TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
_OBJECT = {"type": "object"}

# JSON bodies, by (method, path as the router spells it). Profile events keep their own
# per-field checks (422 with the field), so their schema only asks for objects here.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/agents/{agent_id}/pause"): {
        "type": "object",
        "properties": {"reason": {"enum": list(PAUSE_REASONS)}},
    },
    ("POST", "/profiles/events"): _OBJECT,
    ("POST", "/profiles/events/batch"): {
        "type": "object",
        "required": ["events"],
        "properties": {"events": {"type": "array", "minItems": 1, "maxItems": 1000}},
    },
    ("POST", "/dialer/campaigns"): {
        "type": "object",
        "required": ["name", "kind", "mode"],
        "properties": {
            "name": _TEXT,
            "kind": {"enum": ["callback", "manual"]},
            "mode": {"enum": ["preview", "progressive", "predictive"]},
            "queue": _TEXT,
            "policy": _OBJECT,
        },
    },
    ("POST", "/dialer/campaigns/{campaign_id}/preview/{contact_id}/{action}"): {
        "type": "object",
        "required": ["agent"],
        "properties": {"agent": _TEXT},
    },
    ("POST", "/dialer/dnc"): {
        "type": "object",
        "required": ["numbers"],
        "properties": {
            "numbers": {"type": "array", "minItems": 1, "items": {"type": "string"}},
            "reason": {"type": "string", "maxLength": 200},
        },
    },
    ("POST", "/login"): {
        "type": "object",
        "required": ["name", "password"],
        "properties": {"name": _TEXT, "password": {"type": "string", "maxLength": 1000}},
    },
    ("POST", "/me/settings"): {
        "type": "object",
        "required": ["lang"],
        "properties": {"lang": {"enum": ["en", "zh"]}},
    },
    ("POST", "/desk/disposition"): {
        "type": "object",
        "required": ["call_id", "outcome"],
        "properties": {
            "call_id": _TEXT,
            "outcome": {"enum": ["resolved", "accepted", "declined", "callback"]},
            "callback_at": {"type": "string", "maxLength": 40},
        },
    },
    ("POST", "/wallboard/calls/{call_id}/{mode}"): {
        "type": "object",
        "required": ["endpoint"],
        "properties": {"endpoint": {"type": "string", "pattern": "^[A-Za-z0-9]+/[^\\s]+$"}},
    },
}
# routes that read their body as a stream (larger than aiohttp's 1 MB default) and check
# every field themselves (422 naming it): described here, validated by their domain
STREAMED = {("POST", "/profiles/events"), ("POST", "/profiles/events/batch")}
_VALIDATORS = {
    key: Draft202012Validator(schema) for key, schema in BODIES.items() if key not in STREAMED
}
ERROR = {
    "type": "object",
    "required": ["error_id", "message", "details"],
    "properties": {
        "error_id": {"type": "string"},
        "message": {"type": "string"},
        "details": {"type": "object"},
    },
}
# routes answered as pages or streams, not JSON
NOT_JSON = {"/login", "/logout", "/desk", "/wallboard", "/events", "/docs", "/metrics", "/"}


def _operation(
    method: str, path: str, resource: web.AbstractResource, handler: Any
) -> dict[str, Any]:
    doc = (getattr(handler, "__doc__", None) or "").strip()
    info = resource.get_info()
    enums = dict(_ENUM.findall(info["pattern"].pattern)) if "pattern" in info else {}
    params = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"enum": enums[name].split("|")} if name in enums else {"type": "string"},
        }
        for name in re.findall(r"{(\w+)}", path)
    ]
    name = getattr(handler, "__name__", "handler")
    op: dict[str, Any] = {
        "operationId": f"{method.lower()}_{re.sub(r'[^a-z0-9]+', '_', path.lower()).strip('_')}",
        "summary": doc.splitlines()[0] if doc else name.replace("_", " "),
        "responses": {
            "200": {"description": "OK"},
            "4XX": {
                "description": "the caller's mistake (JSON for API clients)",
                "content": {"application/json": {"schema": ERROR}},
            },
        },
    }
    if params:
        op["parameters"] = params
    body = BODIES.get((method, path))
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    elif path.endswith("/import"):
        op["requestBody"] = {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    return op


def describe(app: web.Application) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in app.router.routes():
        resource = route.resource
        if resource is None or route.method in ("HEAD", "*"):
            continue
        path = resource.canonical
        if path.startswith("/static"):
            continue
        paths.setdefault(path, {})[route.method.lower()] = _operation(
            route.method, path, resource, route.handler
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tenure engine HTTP API",
            "version": "1",
            "description": "Bearer token (client tokens or the api_token setting) or a "
            "session cookie from POST /login (then X-CSRF-Token on writes).",
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "tenure_session"},
            }
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": dict(sorted(paths.items())),
    }


@web.middleware
async def validate_bodies(request: web.Request, handler: Handler) -> web.StreamResponse:
    resource = request.match_info.route.resource
    key = (request.method, resource.canonical if resource is not None else "")
    validator = _VALIDATORS.get(key)
    if validator is not None and request.content_type == "application/json":
        raw = await request.read()
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError as exc:
            raise InvalidRequest(f"request body is not valid JSON: {exc}") from None
        if body is None and key[1] == "/agents/{agent_id}/pause":
            return await handler(request)
        errors = sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.path])
        if errors:
            first = errors[0]
            where = field_name(first)
            raise InvalidRequest(f"{where}: {first.message}", field=where)
    return await handler(request)


def field_name(error: Any) -> str:
    """Where a schema error is, spelt as the domains spell fields: ``policy.window.start``,
    ``numbers[0]``; a missing property is named itself."""
    path = list(error.path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        path += missing[:1]
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


async def openapi_json(request: web.Request) -> web.Response:
    """This document."""
    return web.Response(body=orjson.dumps(describe(request.app)), content_type="application/json")


async def docs_page(request: web.Request) -> web.Response:
    """The API as a readable page."""
    doc = describe(request.app)
    rows = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            content: dict[str, Any] = op.get("requestBody", {}).get("content", {})
            schema = next(iter(content.values())).get("schema") if content else None
            shown = html.escape(orjson.dumps(schema).decode()) if schema else ""
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}"
                f"</code></td><td>{html.escape(op['summary'])}</td><td><code>{shown}</code>"
                "</td></tr>"
            )
    page = (
        '<!doctype html><html><head><meta charset="utf-8"><title>Tenure API</title>'
        '<link rel="stylesheet" href="/static/tenure.css"></head><body><main class="wide">'
        '<section class="card wide"><h1>Tenure engine HTTP API</h1>'
        '<p>OpenAPI 3.1: <a href="/openapi.json">/openapi.json</a>. '
        f"{html.escape(doc['info']['description'])}</p><table><thead><tr><th>method</th>"
        "<th>path</th><th>what</th><th>JSON body</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></section></main></body></html>"
    )
    return web.Response(text=page, content_type="text/html")


def setup(app: web.Application) -> None:
    app.router.add_get("/openapi.json", openapi_json)
    app.router.add_get("/docs", docs_page)
