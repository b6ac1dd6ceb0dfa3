"""HTTP routes of the retention loop: the agent's screen pop (HTTP and WebSocket), a
customer's value/lifecycle/offers view and the rule files' state.

``GET /agents/{id}/screen`` answers the current screen pop as JSON; with ``Upgrade:
websocket`` it becomes a stream: the current screen pop (if any) at once, then every
message of the agent's channel (desk cards, screen pops, ``call-ended``). Like every route
it needs the bearer token (header, or ``?token=`` for browsers).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from engine.api.http import json_response
from engine.errors import NotFound
from engine.logs import get_logger
from engine.profiles.retention.service import Retention

log = get_logger(__name__)
RETENTION = web.AppKey("retention", Retention)
routes = web.RouteTableDef()


@routes.get("/agents/{agent_id}/screen")
async def agent_screen(request: web.Request) -> web.StreamResponse:
    retention = request.app[RETENTION]
    agent_id = request.match_info["agent_id"]
    ws = web.WebSocketResponse(heartbeat=20)
    if not ws.can_prepare(request).ok:
        return json_response({"screen": await retention.screens.current(agent_id)})
    await ws.prepare(request)
    pubsub = retention.screens.redis.pubsub()
    await pubsub.subscribe(retention.screens.channel(agent_id))
    try:
        current = await retention.screens.current(agent_id)
        if current is not None:
            await ws.send_str(orjson.dumps(current).decode())
        forward = asyncio.create_task(_forward(pubsub, ws))
        async for msg in ws:  # the agent's side: nothing to act on; ends on close
            if msg.type == WSMsgType.ERROR:
                break
        forward.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await forward
    finally:
        await pubsub.unsubscribe()
        await pubsub.aclose()
    return ws


async def _forward(pubsub: Any, ws: web.WebSocketResponse) -> None:
    """Agent channel -> WebSocket; a lost Redis closes the socket (1011) so the screen
    reconnects instead of silently showing nothing."""
    try:
        while not ws.closed:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if msg is not None:
                data = msg["data"]
                await ws.send_str(data if isinstance(data, str) else data.decode())
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.warning("screen.forward_failed", error=repr(exc))
        await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"event stream lost")


@routes.get("/profiles/customers/{customer_id}/value")
async def customer_value(request: web.Request) -> web.Response:
    """Lifetime value, spend percentile, loyalty, lifecycle stage, offers and A/B arm."""
    customer_id = request.match_info["customer_id"]
    view = await request.app[RETENTION].value_view(customer_id)
    if view is None:
        raise NotFound("no such customer", customer_id=customer_id)
    return json_response(view)


@routes.get("/retention/rules")
async def rules_state(request: web.Request) -> web.Response:
    """Errors of the last reload per rule file (empty: the file is live as written)."""
    return json_response({"errors": request.app[RETENTION].errors()})


@routes.post("/retention/reload")
async def reload_rules(request: web.Request) -> web.Response:
    errors = await request.app[RETENTION].reload()
    status = 422 if any(errors.values()) else 200
    return json_response({"errors": errors}, status)
