"""What a campaign runner needs from the rest of the engine: its settings and its
dependencies, built once by ``DialerService`` (the composition root hands them in)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from engine.ari.client import AriClient
from engine.calls.ports import Listening, NoListening, SpeechPlan
from engine.calls.state import InboundCall
from engine.dialer.campaigns.claims import DialClaims
from engine.dialer.campaigns.reserve import AgentReservations
from engine.dialer.core.actions import MIN_RING_SECONDS
from engine.dialer.core.line import Line
from engine.routing.service import RoutingService
from engine.store.database import Database


@dataclass
class DialerSettings:
    app: str = "engine"
    trunk: str = "Local/{number}@sim-customers"
    caller_id: str = ""  # the trunk's outbound caller ID (skills/trunks.yaml); "": none
    identification: tuple[str, ...] = ("sound:hello", "sound:please-try-call-later")
    machine_message: tuple[str, ...] = ("sound:hello", "sound:vm-message")
    max_lines: int = 50
    agent_ring_timeout: float = 15.0
    wrapup: float = 0.0
    instance: str = "engine"
    cancel_after: float | None = MIN_RING_SECONDS  # predictive: hang up risky lines after


@dataclass
class Deps:
    """What a campaign runner uses; built once by ``DialerService``."""

    db: Database
    ari: AriClient
    router: RoutingService
    reservations: AgentReservations
    settings: DialerSettings
    notify: Callable[[InboundCall], Awaitable[None]]  # desk card + screen pop observers
    new_call: Callable[[str], InboundCall]  # a call object for the observers
    track: Callable[[str, Any], None]  # channel id -> runner
    untrack: Callable[[str], None]
    lines_in_flight: Callable[[], int]  # over every campaign
    peer_lines: Callable[[int, set[str]], list[Line]] = lambda _id, _agents: []
    speech_plan: Callable[[], SpeechPlan | None] = lambda: None  # how calls are heard
    listening: Callable[[], Listening] = NoListening  # ... and by whom
    # ^ other campaigns' pacer lines in flight whose agents overlap these agents
    claims: DialClaims | None = None  # one engine dials a number at a time (None: alone)
    pacing: asyncio.Lock = field(default_factory=asyncio.Lock)
    # ^ one campaign at a time from snapshot to dial: two never dial for the same agent
    extra: dict[str, Any] = field(default_factory=dict)
