"""What ``Line.handle`` asks the campaign runner to do, in order: ARI requests, routing
calls, notes for the abandon guard and the pacer, rows to record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from engine.dialer.core.compliance import AttemptOutcome


@dataclass(frozen=True)
class ContinueToAmd:
    """Send the answered channel into the ``[outbound-amd]`` dialplan context."""

    channel: str


@dataclass(frozen=True)
class HangUp:
    channel: str


@dataclass(frozen=True)
class Play:
    """Play the campaign's ``identification`` or ``machine`` message on the customer."""

    channel: str
    playback_id: str
    message: Literal["identification", "machine"]


@dataclass(frozen=True)
class Enqueue:
    """Ask routing for an agent on the campaign's queue."""

    call_id: str


@dataclass(frozen=True)
class CancelRoute:
    call_id: str


@dataclass(frozen=True)
class ReleaseAgent:
    """Routing's ``call_ended``: the agent is free (or in wrap-up) again."""

    call_id: str
    agent_id: str


@dataclass(frozen=True)
class AgentFailed:
    """Routing's ``agent_failed``: the agent's phone did not take the call."""

    call_id: str
    agent_id: str
    reason: str


@dataclass(frozen=True)
class CallConnected:
    call_id: str
    agent_id: str


@dataclass(frozen=True)
class CallAgent:
    """Originate the agent's leg into the app (``dialer-agent,<line>``)."""

    endpoint: str
    channel: str
    line_id: str
    caller_id: str
    agent_id: str


@dataclass(frozen=True)
class BridgeLegs:
    """Create the line's bridge with both legs; the runner answers ``Bridged`` or
    ``BridgeFailed``."""

    bridge_id: str
    customer: str
    agent: str


@dataclass(frozen=True)
class DestroyBridge:
    bridge_id: str


@dataclass(frozen=True)
class GuardLiveAnswer:
    """Tell the guard a person answered (``agent_id``: the reserved agent)."""

    agent_id: str | None
    late: bool


@dataclass(frozen=True)
class GuardAgentFree:
    agent_id: str


@dataclass(frozen=True)
class GuardHangup:
    """The person hung up while waiting for an agent."""


@dataclass(frozen=True)
class GuardCutOff:
    """A live answer cut off (answered as hung up, or its verdict lost)."""


@dataclass(frozen=True)
class GuardLost:
    """A live answer given to an agent whose phone then failed."""


@dataclass(frozen=True)
class PacerDial:
    """What the predictive pacer learns from a dial that ended or got a verdict."""

    ring_seconds: float
    outcome: str
    amd_seconds: float | None


@dataclass(frozen=True)
class PacerTalk:
    seconds: float


@dataclass(frozen=True)
class RecordAnswer:
    """The attempt was answered (AMD's verdict, or none)."""

    attempt_id: int
    answered_at: float
    amd_status: str
    amd_cause: str
    live: bool


@dataclass(frozen=True)
class RecordAttempt:
    """The attempt's outcome (once per line)."""

    attempt_id: int
    outcome: AttemptOutcome
    message_left: bool
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TalkEnded:
    attempt_id: int
    seconds: float


@dataclass(frozen=True)
class OpenCall:
    """The talk begins: a call object for the desk card, the screen pop and speech."""

    agent_channel: str


@dataclass(frozen=True)
class Closed:
    """The line ended: forget it (the guard, the channel index) and close its call."""

    line_id: str


@dataclass(frozen=True)
class Warn:
    """Something for the log, as a warning."""

    event: str


LineAction = (
    ContinueToAmd
    | HangUp
    | Play
    | Enqueue
    | CancelRoute
    | ReleaseAgent
    | AgentFailed
    | CallConnected
    | CallAgent
    | BridgeLegs
    | DestroyBridge
    | GuardLiveAnswer
    | GuardAgentFree
    | GuardHangup
    | GuardCutOff
    | GuardLost
    | PacerDial
    | PacerTalk
    | RecordAnswer
    | RecordAttempt
    | TalkEnded
    | OpenCall
    | Closed
    | Warn
)
