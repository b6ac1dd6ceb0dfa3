"""Routing over the HTTP API (bearer auth is enforced by ``engine/api/http.py``).

GET  /queues                      live metrics per queue
GET  /agents                      every agent's state and occupancy
GET  /agents/{id}
POST /agents/{id}/login | logout | unpause
POST /agents/{id}/pause           {"reason": "break"}   (while on a call: after the call)
GET  /routing/config              loaded config version and the last refused reload
POST /routing/reload              re-read the YAML now; 422 with file:line:col errors
"""

from __future__ import annotations

from aiohttp import web

from engine.api.http import json_response, read_json
from engine.errors import InvalidRequest, NotFound
from engine.routing import metrics
from engine.routing.presence import PAUSE_REASONS, agent_view
from engine.routing.service import RoutingService

ROUTING = web.AppKey("routing", RoutingService)
routes = web.RouteTableDef()


def _svc(request: web.Request) -> RoutingService:
    return request.app[ROUTING]


@routes.get("/queues")
async def queues(request: web.Request) -> web.Response:
    svc = _svc(request)
    return json_response(await metrics.queue_metrics(svc.store, svc.config, svc.clock()))


@routes.get("/agents")
async def agents(request: web.Request) -> web.Response:
    svc = _svc(request)
    return json_response(await metrics.agent_metrics(svc.store, svc.clock()))


@routes.get("/agents/{agent_id}")
async def agent(request: web.Request) -> web.Response:
    svc = _svc(request)
    raw = await svc.store.agent(request.match_info["agent_id"])
    if not raw:
        raise NotFound(f"no agent {request.match_info['agent_id']!r}")
    return json_response(agent_view(raw, svc.clock()))


@routes.post("/agents/{agent_id}/{action:login|logout|unpause}")
async def presence(request: web.Request) -> web.Response:
    svc, agent_id = _svc(request), request.match_info["agent_id"]
    state = await getattr(svc.presence, request.match_info["action"])(agent_id)
    if state == "available":
        await svc.match_agent(agent_id)
    return json_response({"agent_id": agent_id, "state": state})


@routes.post("/agents/{agent_id}/pause")
async def pause(request: web.Request) -> web.Response:
    svc, agent_id = _svc(request), request.match_info["agent_id"]
    body = await read_json(request) if request.body_exists else {}
    reason = (body or {}).get("reason", "break") if isinstance(body, dict) else None
    if reason not in PAUSE_REASONS:
        raise InvalidRequest(f"reason must be one of {list(PAUSE_REASONS)}", reason=reason)
    state = await svc.presence.pause(agent_id, reason)
    return json_response({"agent_id": agent_id, "state": state, "reason": reason})


@routes.get("/routing/config")
async def config(request: web.Request) -> web.Response:
    svc = _svc(request)
    return json_response(
        {
            "version": svc.config.version,
            "instance": svc.instance,
            "queues": sorted(svc.config.queues),
            "agents": len(svc.config.agents),
            "last_reload_errors": svc.reload_errors,
        }
    )


@routes.post("/routing/reload")
async def reload(request: web.Request) -> web.Response:
    svc = _svc(request)
    if await svc.reload_now():
        return json_response({"ok": True, "version": svc.config.version})
    return json_response(
        {
            "error_id": "invalid-routing-config",
            "ok": False,
            "message": "the routing YAML was refused; the previous config stays",
            "details": {"errors": svc.reload_errors, "version": svc.config.version},
        },
        422,
    )
