"""The pages and what they call: ``/desk``, ``/wallboard``, the live event stream
(``/events``, server-sent events fed by the engine's Redis channels), the disposition, the
desk's preview dialing and the supervisor's actions (campaign pause/resume, log an agent
out, listen/whisper/barge), each action written to the audit table.

An agent's stream carries only their own channel (desk card, screen pop, hints), the
transcript and emotion of their current call and their own state changes; a supervisor's
carries the live calls, emotion alerts and routing events of everyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio as aioredis
from aiohttp import web
from sqlalchemy import func, select

from engine.api.http import json_response, read_json
from engine.calls import http as calls_http
from engine.calls import schema as call_schema
from engine.dialer.campaigns import http as dialer_http
from engine.errors import InvalidRequest, NotFound
from engine.keys import agent_channel
from engine.logs import get_logger
from engine.profiles import schema as profile_schema
from engine.routing import http as routing_http
from engine.routing import metrics as routing_metrics
from engine.store.database import Database
from engine.users.http import USERS, see_other, who
from engine.users.policy import Principal
from engine.web import metrics, pages
from engine.web.monitor import MODES, Monitor
from engine.web.recorder import WallboardHistory

log = get_logger(__name__)
STATIC = Path(__file__).parent / "static"
OUTCOMES = {
    "resolved": "resolved",
    "accepted": "accepted",
    "declined": "declined",
    "callback": "callback",
}
KEEPALIVE = 15.0
routes = web.RouteTableDef()


@dataclass
class WebContext:
    redis: aioredis.Redis
    prefix: str
    db: Database
    rescore: Callable[[list[str]], Awaitable[Any]]
    wrapup_seconds: float
    monitor: Monitor
    skills_status: Callable[[], dict[str, Any]]
    status: Callable[[], Awaitable[dict[str, Any]]]
    history: WallboardHistory | None = None
    closing: asyncio.Event = field(default_factory=asyncio.Event)


WEB = web.AppKey("web", WebContext)


def setup(app: web.Application) -> None:
    app.router.add_static("/static", STATIC, name="static")

    async def end_streams(app: web.Application) -> None:  # open streams end with the engine
        if WEB in app:
            app[WEB].closing.set()

    app.on_shutdown.append(end_streams)


def _html(page: str) -> web.Response:
    return web.Response(text=page, content_type="text/html")


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    return see_other("/wallboard" if who(request).supervises else "/desk")


def _desk_agent(request: web.Request) -> str:
    caller = who(request)
    agent = request.query.get("agent") or caller.agent_id
    if not agent:
        raise InvalidRequest("which desk? open /desk?agent=<agent id>", field="agent")
    return agent


@routes.get("/desk")
async def desk(request: web.Request) -> web.Response:
    caller = who(request)
    ctx = request.app[WEB]
    return _html(pages.desk_page(caller, _desk_agent(request), ctx.wrapup_seconds))


@routes.get("/wallboard")
async def wallboard(request: web.Request) -> web.Response:
    return _html(pages.wallboard_page(who(request)))


def _outcomes(db: Any) -> dict[str, int]:
    status = call_schema.calls.c.status
    return {s: n for s, n in db.execute(select(status, func.count()).group_by(status))}


async def campaigns(dialer: Any) -> list[dict[str, Any]]:
    """Every campaign with its live status (the wallboard, metrics and history)."""
    out = []
    for row in await dialer.list():
        with contextlib.suppress(Exception):
            row = await dialer.status(row["id"])
        out.append(row)
    return out


async def _campaigns(app: web.Application) -> list[dict[str, Any]]:
    return await campaigns(app[dialer_http.DIALER])


@routes.get("/metrics")
async def prometheus(request: web.Request) -> web.Response:
    """The engine's figures as Prometheus text."""
    app, ctx = request.app, request.app[WEB]
    svc = app[routing_http.ROUTING]
    now = svc.clock()
    status = await ctx.status()
    risk = await ctx.db.run(_risk_summary)
    return metrics.response(
        {
            "outcomes": await ctx.db.run(_outcomes),
            "live_calls": status["calls"]["live"],
            "queues": await routing_metrics.queue_metrics(svc.store, svc.config, now),
            "agents": await routing_metrics.agent_metrics(svc.store, now),
            "speech": status.get("speech"),
            "campaigns": await _campaigns(app),
            "tiers": risk["tiers"],
        }
    )


def _risk_summary(db: Any) -> dict[str, Any]:
    tier, cb = profile_schema.risk.c.tier, profile_schema.callbacks.c
    tiers = {t: n for t, n in db.execute(select(tier, func.count()).group_by(tier))}
    due = db.execute(
        select(func.count()).where(cb.status == "pending", cb.due_at <= time.time())
    ).scalar()
    return {"tiers": tiers, "callbacks_due": due or 0}


@routes.get("/wallboard/data")
async def wallboard_data(request: web.Request) -> web.Response:
    """Everything the wallboard shows at once; the stream brings the changes after."""
    app, ctx = request.app, request.app[WEB]
    svc = app[routing_http.ROUTING]
    now = svc.clock()
    return json_response(
        {
            "at": now,
            "queues": await routing_metrics.queue_metrics(svc.store, svc.config, now),
            "agents": await routing_metrics.agent_metrics(svc.store, now),
            "calls": await app[calls_http.LIVE_CALLS].all(),
            "campaigns": await _campaigns(app),
            "risk": await ctx.db.run(_risk_summary),
            "skills": {**ctx.skills_status(), "routing_errors": svc.reload_errors},
            "audit": await app[USERS].recent_audit(20),
        }
    )


@routes.get("/wallboard/history")
async def wallboard_history(request: web.Request) -> web.Response:
    """The wallboard's last hour for its charts, oldest first.

    One sample every ``step`` seconds: per queue waiting, service level and abandoned; the
    dialer's worst abandon rate."""
    ctx = request.app[WEB]
    if ctx.history is None:
        return json_response({"step": None, "capacity": 0, "points": []})
    return json_response(
        {
            "step": ctx.history.step,
            "capacity": ctx.history.capacity,
            "points": await ctx.history.read(),
        }
    )


class _Stream:
    """One browser's event stream: Redis pub/sub -> ``text/event-stream``."""

    def __init__(self, ctx: WebContext, caller: Principal, agent: str | None) -> None:
        self.ctx, self.caller, self.agent = ctx, caller, agent
        self.pubsub = ctx.redis.pubsub()
        self.call_channel: str | None = None

    async def open(self, request: web.Request) -> None:
        p = self.ctx.prefix
        if self.agent is None:  # the wallboard
            await self.pubsub.subscribe(
                f"{p}:events:calls", f"{p}:events:emotion", f"{p}:routing-events"
            )
            return
        await self.pubsub.subscribe(agent_channel(p, self.agent), f"{p}:routing-events")
        desk = request.app[calls_http.AGENT_DESK]
        current = await desk.current(self.agent)
        if current:
            await self.follow(current.get("call_id"))

    async def follow(self, call_id: str | None) -> None:
        if self.call_channel:
            await self.pubsub.unsubscribe(self.call_channel)
            self.call_channel = None
        if call_id:
            self.call_channel = f"{self.ctx.prefix}:transcripts:{call_id}"
            await self.pubsub.subscribe(self.call_channel)

    async def event(self, channel: str, data: Any) -> tuple[str, Any] | None:
        kind = channel.rsplit(":", 1)[-1] if ":transcripts:" not in channel else "transcript"
        if self.agent is None:
            return kind, data
        if channel.endswith(":routing-events"):
            mine = isinstance(data, dict) and data.get("agent_id") == self.agent
            return ("routing", data) if mine else None
        if kind == "transcript":
            return kind, data
        if isinstance(data, dict) and data.get("type") == "call":
            await self.follow(data.get("call_id"))
        return "desk", data


@routes.get("/events")
async def events(request: web.Request) -> web.StreamResponse:
    caller, ctx = who(request), request.app[WEB]
    agent = request.query.get("agent") or (None if caller.supervises else caller.agent_id)
    if not caller.supervises and not agent:
        raise InvalidRequest("an agent user needs an agent ID")
    stream = _Stream(ctx, caller, agent)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await stream.open(request)
    await response.prepare(request)
    await response.write(b": open\n\n")
    quiet_since = time.monotonic()
    try:
        while not ctx.closing.is_set():
            if request.transport is None or request.transport.is_closing():
                break  # the browser went away
            msg = await stream.pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if msg is None:
                if time.monotonic() - quiet_since > KEEPALIVE:
                    await response.write(b": keepalive\n\n")
                    quiet_since = time.monotonic()
                continue
            channel = msg["channel"] if isinstance(msg["channel"], str) else msg["channel"].decode()
            with contextlib.suppress(orjson.JSONDecodeError):
                out = await stream.event(channel, orjson.loads(msg["data"]))
                if out is not None:
                    kind, data = out
                    payload = orjson.dumps(data)
                    await response.write(
                        b"event: " + kind.encode() + b"\ndata: " + payload + b"\n\n"
                    )
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            await stream.pubsub.aclose()
    return response


def _insert_disposition(db: Any, row: dict[str, Any], callback: dict[str, Any] | None) -> int:
    if callback is not None:  # the dialer's callback campaigns call it when due
        db.execute(profile_schema.callbacks.insert().values(callback))
    table = profile_schema.interventions
    return int(db.execute(table.insert().values(row).returning(table.c.id)).scalar_one())


def _when(value: Any) -> float:
    """An ISO 8601 time (the page sends UTC, ``...Z``); without an offset, UTC."""
    try:
        at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest("callback_at must be an ISO 8601 time", field="callback_at") from None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


@routes.post("/desk/disposition")
async def disposition(request: web.Request) -> web.Response:
    """The agent's disposition at wrap-up: an intervention (kind ``call.disposition``) with
    its outcome, then the customer's risk re-scored. Body: ``{"call_id", "outcome":
    resolved|accepted|declined|callback, "callback_at"}`` (ISO time, for callbacks: also a
    pending row in ``callbacks``, which callback campaigns dial when it is due)."""
    caller, app, ctx = who(request), request.app, request.app[WEB]
    body = await read_json(request)
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object")
    outcome = body.get("outcome")
    if outcome not in OUTCOMES:
        raise InvalidRequest(f"outcome must be one of {sorted(OUTCOMES)}", field="outcome")
    callback_at = body.get("callback_at")
    if outcome == "callback" and not (isinstance(callback_at, str) and callback_at):
        raise InvalidRequest("a callback needs callback_at (when to call)", field="callback_at")
    call_id = body.get("call_id")
    if not isinstance(call_id, str) or not call_id:
        raise InvalidRequest("call_id is required", field="call_id")
    record = await app[calls_http.CALL_RECORDS].get(call_id)
    if record is None:
        live = {c["id"]: c for c in await app[calls_http.LIVE_CALLS].all()}
        record = live.get(call_id)
    if record is None:
        raise NotFound("no such call", call_id=call_id)
    if not caller.supervises and str(record.get("agent_id")) != caller.agent_id:
        raise web.HTTPForbidden(text="this call was not yours")
    customer = record.get("customer_id")
    if not customer:
        raise InvalidRequest("the call has no known customer to record the outcome for")
    now = time.time()
    row = {
        "customer_id": customer,
        "kind": "call.disposition",
        "at": now,
        "by": caller.name,
        "outcome": OUTCOMES[outcome],
        "outcome_at": now,
        "details": orjson.dumps(
            {"call_id": call_id, "agent_id": record.get("agent_id"), "callback_at": callback_at}
        ).decode(),
    }
    callback = None
    if outcome == "callback":
        callback = {
            "customer_id": customer,
            "number": record.get("caller_number"),
            "reason": "agent-callback",
            "created_at": now,
            "due_at": _when(callback_at),
            "status": "pending",
            "updated_at": now,
            "priority": 1.0,
        }
    intervention = await ctx.db.run(_insert_disposition, row, callback)
    await ctx.rescore([customer])
    return json_response(
        {"intervention_id": intervention, "customer_id": customer, "outcome": row["outcome"]}, 201
    )


@routes.get("/desk/preview/{campaign_id}")
async def preview_next(request: web.Request) -> web.Response:
    agent = _desk_agent(request)
    svc = request.app[dialer_http.DIALER]
    runner = svc.runner(dialer_http._id(request))
    return json_response({"contact": await runner.ask(runner.preview_next, agent)})


@routes.post("/desk/preview/{campaign_id}/{contact_id}/{action:accept|skip}")
async def preview_decide(request: web.Request) -> web.Response:
    agent = _desk_agent(request)
    runner = request.app[dialer_http.DIALER].runner(dialer_http._id(request))
    fn = runner.preview_accept if request.match_info["action"] == "accept" else runner.preview_skip
    contact = await runner.ask(fn, dialer_http._id(request, "contact_id"), agent)
    return json_response({"contact": contact})


@routes.post("/wallboard/campaigns/{campaign_id}/{action:pause|resume}")
async def campaign_action(request: web.Request) -> web.Response:
    caller, cid = who(request), dialer_http._id(request)
    action = request.match_info["action"]
    result = await request.app[dialer_http.DIALER].control(cid, action)
    await request.app[USERS].audit(caller, f"campaign.{action}", f"campaign:{cid}")
    return json_response(result)


@routes.post("/wallboard/agents/{agent_id}/logout")
async def agent_logout(request: web.Request) -> web.Response:
    caller, agent = who(request), request.match_info["agent_id"]
    state = await request.app[routing_http.ROUTING].presence.logout(agent)
    sessions = await request.app[USERS].log_agent_out(agent)
    await request.app[USERS].audit(caller, "agent.logout", f"agent:{agent}", sessions=sessions)
    return json_response({"agent_id": agent, "state": state, "sessions_ended": sessions})


@routes.post("/wallboard/calls/{call_id}/{mode:listen|whisper|barge}")
async def monitor(request: web.Request) -> web.Response:
    """Listen to, whisper to (the agent hears) or barge into (both hear) a live call from
    the supervisor's own phone: body ``{"endpoint": "PJSIP/sup1"}``."""
    caller, ctx = who(request), request.app[WEB]
    body = await read_json(request)
    endpoint = body.get("endpoint") if isinstance(body, dict) else None
    if not isinstance(endpoint, str) or "/" not in endpoint:
        raise InvalidRequest("endpoint (the supervisor's phone, e.g. PJSIP/sup1)", field="endpoint")
    call_id, mode = request.match_info["call_id"], request.match_info["mode"]
    runner = request.app[calls_http.CALL_SERVICE].runners.get(call_id)
    channel = runner.call.agent_channel if runner is not None else None
    if not channel:
        raise NotFound("no live call with an agent on it here", call_id=call_id)
    assert mode in MODES
    session = await ctx.monitor.start(channel, endpoint, mode)
    await request.app[USERS].audit(
        caller, f"call.{mode}", f"call:{call_id}", endpoint=endpoint, session=session
    )
    return json_response({"session": session, "mode": mode, "call_id": call_id}, 201)
