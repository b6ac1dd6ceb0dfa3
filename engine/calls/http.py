"""HTTP routes for calls: live calls, call records, and the adapters' status."""

from __future__ import annotations

from aiohttp import web

from engine.api.http import json_response
from engine.calls.desk import AgentDesk
from engine.calls.live import LiveCalls
from engine.calls.service import CallService
from engine.calls.store import CallRecords
from engine.errors import InvalidRequest, NotFound

CALL_SERVICE = web.AppKey("call_service", CallService)
CALL_RECORDS = web.AppKey("call_records", CallRecords)
LIVE_CALLS = web.AppKey("live_calls", LiveCalls)
AGENT_DESK = web.AppKey("agent_desk", AgentDesk)
routes = web.RouteTableDef()


@routes.get("/calls")
async def live_calls(request: web.Request) -> web.Response:
    """Live calls of every engine instance sharing this Redis."""
    return json_response({"calls": await request.app[LIVE_CALLS].all()})


@routes.get("/calls/records")
async def recent_records(request: web.Request) -> web.Response:
    try:
        limit = int(request.query.get("limit", "50"))
    except ValueError:
        raise InvalidRequest("limit must be an integer", field="limit") from None
    if not 1 <= limit <= 1000:
        raise InvalidRequest("limit must be between 1 and 1000", field="limit")
    return json_response({"records": await request.app[CALL_RECORDS].recent(limit)})


@routes.get("/calls/records/{call_id}")
async def one_record(request: web.Request) -> web.Response:
    record = await request.app[CALL_RECORDS].get(request.match_info["call_id"])
    if record is None:
        raise NotFound("no such call", call_id=request.match_info["call_id"])
    return json_response(record)


@routes.get("/agents/{agent_id}/desk")
async def agent_desk(request: web.Request) -> web.Response:
    """The card of the call the agent is on (caller, tier, risk, hints), if any."""
    current = await request.app[AGENT_DESK].current(request.match_info["agent_id"])
    return json_response({"call": current})
