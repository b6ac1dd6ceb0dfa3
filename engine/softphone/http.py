"""``GET /desk/softphone``: the logged-in agent's own softphone credentials.

Only a person logged in with a session gets them, and only for the agent their account
is bound to (never another desk's, not even a supervisor's view of one): the SIP user is
the one their configured endpoint names (``PJSIP/N-webrtc`` in ``skills/agents.yaml``),
the password is derived from ``softphone_secret``. The response is never cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from engine.api.http import json_response
from engine.errors import NotFound
from engine.routing import http as routing_http
from engine.softphone import credentials
from engine.users.http import who


@dataclass(frozen=True)
class SoftphoneConfig:
    secret: str
    ws_url: str

    @property
    def domain(self) -> str:
        return urlsplit(self.ws_url).hostname or "127.0.0.1"


SOFTPHONE = web.AppKey("softphone", SoftphoneConfig)
routes = web.RouteTableDef()


@routes.get("/desk/softphone")
async def softphone(request: web.Request) -> web.Response:
    """The caller's own softphone: WebSocket URL, SIP URI, user and password (404 when
    their phone is not a softphone)."""
    caller, conf = who(request), request.app[SOFTPHONE]
    agents = request.app[routing_http.ROUTING].config.agents
    agent = agents.get(caller.agent_id) if caller.kind == "user" and caller.agent_id else None
    creds = (
        credentials.for_endpoint(agent.endpoint, conf.secret, conf.ws_url, conf.domain)
        if agent is not None
        else None
    )
    if creds is None:
        raise NotFound("your phone is not a softphone", agent=caller.agent_id)
    response = json_response(creds.as_dict())
    response.headers["Cache-Control"] = "no-store"
    return response
