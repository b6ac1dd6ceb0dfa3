"""One outbound line (a dial and, if it connects, the call).

A line's life:  ringing -> detecting (answered, AMD listening) -> then
  - a person: seeking (waiting for an agent, <= 2 s) -> connecting (agent's phone
    rings) -> talking -> ended;  or closing (identification message, abandoned);
  - a machine: message (the campaign's message) or straight to ended (retry later);
  - no answer, busy, congestion: ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from engine.calls.ports import Offer
from engine.calls.state import InboundCall
from engine.dialer.core.compliance import AttemptOutcome

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
