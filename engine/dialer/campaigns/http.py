"""The dialer over the HTTP API (bearer auth is enforced by ``engine/api/http.py``).

GET  /dialer/campaigns                         every campaign, with its lines in flight
POST /dialer/campaigns                         {"name", "kind", "mode", "queue"?, "policy"?}
GET  /dialer/campaigns/{id}                    status with progress
POST /dialer/campaigns/{id}/import             CSV body: number,customer_id,timezone,priority,name
POST /dialer/campaigns/{id}/start|pause|resume|stop
GET  /dialer/campaigns/{id}/preview?agent=A    preview mode: the agent's next contact
POST /dialer/campaigns/{id}/preview/{contact}/accept|skip   {"agent": "A"}
POST /dialer/dnc                               {"numbers": [...], "reason": "..."}
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from engine.api.http import json_response, read_json
from engine.dialer.campaigns.csvfile import normalise_number
from engine.dialer.campaigns.service import DialerService
from engine.errors import InvalidRequest

DIALER = web.AppKey("dialer", DialerService)
MAX_CSV_BYTES = 20 * 1024 * 1024
routes = web.RouteTableDef()


def _svc(request: web.Request) -> DialerService:
    return request.app[DIALER]


def _id(request: web.Request, name: str = "campaign_id") -> int:
    raw = request.match_info[name]
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequest(f"{name} must be an integer", field=name, value=raw) from None
    if not 0 < value < 2**63:  # SQLite's integers (and JSON's) end there
        raise InvalidRequest(f"{name} must be a positive 64-bit integer", field=name, value=raw)
    return value


async def _agent(request: web.Request) -> str:
    body: Any = await read_json(request) if request.body_exists else {}
    agent = body.get("agent") if isinstance(body, dict) else None
    if not isinstance(agent, str) or not agent:
        raise InvalidRequest("agent (the agent's ID) is required", field="agent")
    return agent


@routes.get("/dialer/campaigns")
async def list_campaigns(request: web.Request) -> web.Response:
    return json_response({"campaigns": await _svc(request).list()})


@routes.post("/dialer/campaigns")
async def create(request: web.Request) -> web.Response:
    return json_response(await _svc(request).create(await read_json(request)), 201)


@routes.get("/dialer/campaigns/{campaign_id}")
async def status(request: web.Request) -> web.Response:
    return json_response(await _svc(request).status(_id(request)))


@routes.post("/dialer/campaigns/{campaign_id}/import")
async def import_csv(request: web.Request) -> web.Response:
    if request.content_length and request.content_length > MAX_CSV_BYTES:
        raise InvalidRequest(f"CSV body over {MAX_CSV_BYTES} bytes; split the file")
    raw = await request.read()
    if not raw.strip():
        raise InvalidRequest(
            "the request body must be CSV: number,customer_id,timezone,priority,name"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"the CSV must be UTF-8 ({exc})") from None
    return json_response(await _svc(request).import_csv(_id(request), text))


@routes.post("/dialer/campaigns/{campaign_id}/{action:start|pause|resume|stop}")
async def control(request: web.Request) -> web.Response:
    return json_response(await _svc(request).control(_id(request), request.match_info["action"]))


@routes.get("/dialer/campaigns/{campaign_id}/preview")
async def preview(request: web.Request) -> web.Response:
    agent = request.query.get("agent", "")
    if not agent:
        raise InvalidRequest("?agent= (the agent's ID) is required", field="agent")
    runner = _svc(request).runner(_id(request))
    contact = await runner.ask(runner.preview_next, agent)
    return json_response({"contact": contact})


@routes.post("/dialer/campaigns/{campaign_id}/preview/{contact_id}/{action:accept|skip}")
async def preview_decide(request: web.Request) -> web.Response:
    agent = await _agent(request)
    runner = _svc(request).runner(_id(request))
    fn = runner.preview_accept if request.match_info["action"] == "accept" else runner.preview_skip
    return json_response({"contact": await runner.ask(fn, _id(request, "contact_id"), agent)})


@routes.post("/dialer/dnc")
async def dnc(request: web.Request) -> web.Response:
    body = await read_json(request)
    numbers = body.get("numbers") if isinstance(body, dict) else None
    if not isinstance(numbers, list) or not numbers:
        raise InvalidRequest("numbers must be a non-empty list of phone numbers", field="numbers")
    clean = []
    for i, raw in enumerate(numbers):
        number = normalise_number(raw) if isinstance(raw, str) else None
        if number is None:
            raise InvalidRequest(
                f"numbers[{i}] is not a phone number", field=f"numbers[{i}]", value=raw
            )
        clean.append(number)
    reason = body.get("reason", "") if isinstance(body.get("reason", ""), str) else ""
    added = await _svc(request).add_dnc(clean, reason)
    return json_response({"added": added, "numbers": clean})
