"""HTTP routes of the profile store: events in (one or a batch), a customer's profile and
history out. Bearer token on every route (``engine/api``).

- ``POST /profiles/events``: one envelope. 201 stored, 200 duplicate (nothing changed),
  422 naming the bad field (nothing changed).
- ``POST /profiles/events/batch`` ``{"events": [...]}`` (at most ``MAX_BATCH``): 200 when
  every event was stored or a duplicate; 422 when some were refused, with the good ones
  stored and the bad ones listed by index and field, so the sender may fix them and
  resend the whole batch (stored ones come back as duplicates).
- ``GET /profiles/customers/{id}``: profile, contact points, recent conversations, open
  tickets, recent orders and risk (``null`` for customers who opted out of prediction).
- ``GET /profiles/customers/{id}/events?since=&limit=``: stored events, oldest first.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from engine.api.http import json_response
from engine.errors import EngineError, InvalidRequest, NotFound
from engine.profiles.ingest.service import ProfileStore

PROFILE_STORE = web.AppKey("profile_store", ProfileStore)
MAX_BATCH = 1000
MAX_BODY = 16 * 1024 * 1024
routes = web.RouteTableDef()


class InvalidEvent(EngineError):
    status_code = 422
    error_id = "invalid-event"


class TooLarge(EngineError):
    status_code = 413
    error_id = "too-large"


async def _body(request: web.Request) -> Any:
    """The JSON body, read up to ``MAX_BODY`` (batches may exceed aiohttp's 1 MB default)."""
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(65536):
        size += len(chunk)
        if size > MAX_BODY:
            raise TooLarge(f"request body is larger than {MAX_BODY} bytes", field="body")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body:
        raise InvalidRequest("request body is empty; expected JSON", field="body")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"request body is not valid JSON: {exc}", field="body") from None


@routes.post("/profiles/events")
async def post_event(request: web.Request) -> web.Response:
    raw = await _body(request)
    result = await request.app[PROFILE_STORE].ingest([raw])
    if result.errors:
        bad = result.errors[0]
        raise InvalidEvent(
            f"{bad.field}: {bad.reason}", field=bad.field, reason=bad.reason, id=bad.id
        )
    if result.duplicates:
        return json_response({"id": result.duplicates[0], "status": "duplicate"})
    return json_response(
        {
            "id": result.stored[0].id,
            "status": "stored",
            "customer_id": result.stored[0].customer_id,
        },
        201,
    )


@routes.post("/profiles/events/batch")
async def post_batch(request: web.Request) -> web.Response:
    body = await _body(request)
    if not isinstance(body, dict):
        raise InvalidEvent('expected {"events": [...]}', field="events")
    events = body.get("events")
    if not isinstance(events, list):
        raise InvalidEvent("events: must be a list of events", field="events")
    if len(events) > MAX_BATCH:
        raise TooLarge(
            f"events: at most {MAX_BATCH} per batch, got {len(events)}",
            field="events",
            max=MAX_BATCH,
        )
    result = await request.app[PROFILE_STORE].ingest(events)
    answer = result.as_dict()
    if result.errors:
        first = result.errors[0]
        answer |= {
            "error_id": "invalid-event",
            "message": f"{len(result.errors)} event(s) refused, first: events"
            f"[{first.index}].{first.field}: {first.reason}",
        }
        return json_response(answer, 422)
    return json_response(answer)


@routes.get("/profiles/customers/{customer_id}")
async def get_customer(request: web.Request) -> web.Response:
    customer_id = request.match_info["customer_id"]
    view = await request.app[PROFILE_STORE].customer(customer_id)
    if view is None:
        raise NotFound("no such customer", customer_id=customer_id)
    return json_response(view)


def _number(request: web.Request, name: str, default: float, low: float, high: float) -> float:
    try:
        value = float(request.query.get(name, default))
    except ValueError:
        raise InvalidRequest(f"{name} must be a number", field=name) from None
    if not low <= value <= high:
        raise InvalidRequest(f"{name} must be between {low:g} and {high:g}", field=name)
    return value


@routes.get("/profiles/customers/{customer_id}/events")
async def get_history(request: web.Request) -> web.Response:
    since = _number(request, "since", 0.0, 0.0, 4102444800.0)
    limit = int(_number(request, "limit", 1000, 1, 10000))
    events = await request.app[PROFILE_STORE].history(
        request.match_info["customer_id"], since, limit
    )
    return json_response({"events": events})
