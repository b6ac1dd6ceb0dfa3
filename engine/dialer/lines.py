"""One outbound line (a dial and, if it connects, the call) and what a campaign runner
needs from the rest of the engine.

A line's life:  ringing -> detecting (answered, AMD listening) -> then
  - a person: seeking (waiting for an agent, <= 2 s) -> connecting (agent's phone
    rings) -> talking -> ended;  or closing (identification message, abandoned);
  - a machine: message (the campaign's message) or straight to ended (retry later);
  - no answer, busy, congestion: ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.ari.client import AriClient
from engine.calls.ports import Listening, NoListening, Offer, SpeechPlan
from engine.calls.state import InboundCall
from engine.dialer.actions import MIN_RING_SECONDS
from engine.dialer.compliance import AttemptOutcome
from engine.dialer.reserve import AgentReservations
from engine.routing.service import RoutingService
from engine.store.database import Database

LineState = Literal["ringing", "detecting", "seeking", "connecting", "talking", "message",
                    "closing", "ended"]


@dataclass
class Line:
    id: str                               # the customer channel's ID
    attempt_id: int
    contact: dict[str, Any]
    dialed_at: float
    reserved_agent: str | None = None     # preview: agent reserved before the dial
    state: LineState = "ringing"
    answered_at: float | None = None
    amd: tuple[str, str] = ("", "")
    verdict_at: float | None = None       # when AMD said person or machine
    live: bool = False
    offer: Offer | None = None
    agent_channel: str | None = None
    bridged_at: float | None = None
    outcome: AttemptOutcome | None = None   # decided, recorded when the line ends
    message_left: bool = False
    recorded: bool = False
    hung_up_at: float | None = None       # the pacer hung it up while it rang (>= 15 s)
    late: bool = False                    # AMD's verdict was learnt late (socket down)
    call: InboundCall | None = None       # what the desk and screen pop observers see

    @property
    def number(self) -> str:
        return str(self.contact["number"])

    @property
    def agent_id(self) -> str | None:
        return self.offer.agent_id if self.offer else self.reserved_agent

    @property
    def bridge_id(self) -> str:
        return f"{self.id}-bridge"

    def ring_seconds(self, now: float) -> float:
        return max(0.0, (self.answered_at or now) - self.dialed_at)


@dataclass
class DialerSettings:
    app: str = "engine"
    trunk: str = "Local/{number}@sim-customers"
    identification: tuple[str, ...] = ("sound:hello", "sound:please-try-call-later")
    machine_message: tuple[str, ...] = ("sound:hello", "sound:vm-message")
    max_lines: int = 50
    agent_ring_timeout: float = 15.0
    wrapup: float = 0.0
    instance: str = "engine"
    cancel_after: float | None = MIN_RING_SECONDS   # predictive: hang up risky lines after


@dataclass
class Deps:
    """What a campaign runner uses; built once by ``DialerService``."""

    db: Database
    ari: AriClient
    router: RoutingService
    reservations: AgentReservations
    settings: DialerSettings
    notify: Callable[[InboundCall], Awaitable[None]]     # desk card + screen pop observers
    new_call: Callable[[str], InboundCall]                # a call object for the observers
    track: Callable[[str, Any], None]                     # channel id -> runner
    untrack: Callable[[str], None]
    lines_in_flight: Callable[[], int]                    # over every campaign
    peer_lines: Callable[[int, set[str]], list[Line]] = lambda _id, _agents: []
    speech_plan: Callable[[], SpeechPlan | None] = lambda: None   # how calls are heard
    listening: Callable[[], Listening] = NoListening              # ... and by whom
    # ^ other campaigns' pacer lines in flight whose agents overlap these agents
    pacing: asyncio.Lock = field(default_factory=asyncio.Lock)
    # ^ one campaign at a time from snapshot to dial: two never dial for the same agent
    extra: dict[str, Any] = field(default_factory=dict)
