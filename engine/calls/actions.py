"""What the call path asks the adapters to do. ``InboundCall`` returns these; the
call runner (``engine/calls/runner.py``) carries them out in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.calls.ports import Offer, RouteRequest


@dataclass(frozen=True)
class Answer:
    channel: str


@dataclass(frozen=True)
class Identify:
    number: str


@dataclass(frozen=True)
class Play:
    channel: str
    playback_id: str
    media: tuple[str, ...]
    lang: str | None = None


@dataclass(frozen=True)
class StopPlayback:
    playback_id: str


@dataclass(frozen=True)
class Hold:
    """Put the caller in the call's own bridge with music on hold while it waits."""

    bridge_id: str
    channel: str


@dataclass(frozen=True)
class StartTimer:
    name: str
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    name: str


@dataclass(frozen=True)
class Enqueue:
    request: RouteRequest


@dataclass(frozen=True)
class Dequeue:
    """The caller left while waiting or ringing: the router forgets the call and frees
    any agent it had reserved for it."""

    call_id: str


@dataclass(frozen=True)
class DialAgent:
    """Ring the offered agent. The caller's channel is the originator, as Dial() does: the
    agent's leg is asked for the caller's codecs (no transcoding in the bridge) and
    shares the caller's linked id."""

    offer: Offer
    channel_id: str
    caller_number: str
    timeout: float
    originator: str = ""


@dataclass(frozen=True)
class ConnectAgent:
    """Add the answered agent to the bridge the caller waits in, and stop the music."""

    bridge_id: str
    agent_channel: str


@dataclass(frozen=True)
class AgentFailed:
    call_id: str
    agent_id: str
    reason: str


@dataclass(frozen=True)
class AgentConnected:
    call_id: str
    agent_id: str
    agent_channel: str


@dataclass(frozen=True)
class AgentReleased:
    call_id: str
    agent_id: str


@dataclass(frozen=True)
class Hangup:
    channel: str
    reason: str = "normal"


@dataclass(frozen=True)
class DestroyBridge:
    bridge_id: str


@dataclass(frozen=True)
class Persist:
    record: dict[str, Any] = field(hash=False)


@dataclass(frozen=True)
class Listen:
    """Hear a leg (snoop + externalMedia): ``menu`` names a speech menu's grammar, ``None``
    is free-form transcription. Listening to a role already heard switches its mode."""

    role: str  # "caller" | "agent"
    channel: str
    lang: str
    menu: str | None = None


@dataclass(frozen=True)
class StopListening:
    role: str


@dataclass(frozen=True)
class ShowEmotion:
    """Publish a caller utterance's emotion (live state); ``alert`` > 0 numbers a sharp
    rise: hint the agent, alert the supervisor, record it on the customer."""

    call_id: str
    score: float
    label: str
    rolling: float
    at: float
    agent_id: str | None = None
    customer_id: str | None = None
    alert: int = 0
    previous: float = 0.0
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class FinishTranscript:
    """The call ended after being transcribed: record the transcript on the customer."""

    call_id: str
    customer_id: str | None
    at: float


@dataclass(frozen=True)
class RecordAnswer:
    """The caller answered "did you mean ``intent``?": keep it with the call's transcript
    (``answer`` yes or no, ``by`` key:1, say:yes, say:no or timeout, and what it
    ``led_to``: ``queue:<name>`` or ``menu:<name>``)."""

    call_id: str
    lang: str | None
    menu: str
    intent: str
    answer: str
    by: str
    led_to: str
    at: float


CallAction = (
    Answer
    | Identify
    | Play
    | StopPlayback
    | Hold
    | StartTimer
    | CancelTimer
    | Enqueue
    | Dequeue
    | DialAgent
    | ConnectAgent
    | AgentFailed
    | AgentConnected
    | AgentReleased
    | Hangup
    | DestroyBridge
    | Persist
    | Listen
    | StopListening
    | ShowEmotion
    | FinishTranscript
    | RecordAnswer
)
