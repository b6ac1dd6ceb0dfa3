"""What happens to an outbound line, as the campaign runner tells ``Line.handle``.

The runner turns ARI events (``Dial``, ``StasisStart``, ``ChannelDestroyed``,
``PlaybackFinished``), routing's offers, the abandon guard's decisions and the outcome
of its own requests into these; ``core.campaign.judge`` turns what the event stream
missed into them too.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.calls.ports import Offer


@dataclass(frozen=True)
class DialStatus:
    """A ``Dial`` event on the customer's leg: ``ANSWER``, or how it failed."""

    status: str


@dataclass(frozen=True)
class OriginateFailed:
    """Asterisk refused to originate the customer's call."""


@dataclass(frozen=True)
class Answered:
    """The customer's channel entered the engine's app (``Stasis(dialer)``): answered."""


@dataclass(frozen=True)
class AmdUnreachable:
    """The channel could not be sent into the AMD dialplan."""


@dataclass(frozen=True)
class Verdict:
    """AMD's verdict (``Stasis(outbound, STATUS, CAUSE)``); ``late``: learnt only after
    the event socket came back."""

    status: str
    cause: str
    late: bool = False


@dataclass(frozen=True)
class VerdictLost:
    """The call ended unseen after AMD listened (the engine was unreachable)."""


@dataclass(frozen=True)
class Connect:
    """An agent for the line: the guard's reserved agent, or routing's offer."""

    offer: Offer


@dataclass(frozen=True)
class Offered:
    """Routing offers an agent for a person waiting (``seeking``)."""

    offer: Offer


@dataclass(frozen=True)
class NoAgent:
    """The guard's 2-second rule ran out: abandon with the identification message."""


@dataclass(frozen=True)
class AgentDialStatus:
    """A ``Dial`` event on the agent's leg (only failures matter)."""

    status: str


@dataclass(frozen=True)
class AgentUnreachable:
    """The agent's leg could not be originated, or did not answer; ``reason`` for routing."""

    reason: str


@dataclass(frozen=True)
class AgentAnswered:
    """A channel entered the app as the line's agent leg (``Stasis(dialer-agent, line)``)."""

    channel: str


@dataclass(frozen=True)
class Bridged:
    """Both legs are in the line's bridge."""

    channel: str


@dataclass(frozen=True)
class BridgeFailed:
    channel: str


@dataclass(frozen=True)
class AgentGone:
    """The agent's channel was destroyed."""


@dataclass(frozen=True)
class CustomerGone:
    """The customer's channel was destroyed (``cause``: its hangup cause, 0 unknown)."""

    cause: int = 0


@dataclass(frozen=True)
class PlaybackFinished:
    pass


@dataclass(frozen=True)
class PlayFailed:
    pass


@dataclass(frozen=True)
class HangUpRinging:
    """The pacer hangs this ringing line up (it rang >= 15 s and is now too risky)."""


@dataclass(frozen=True)
class HangUpRingingFailed:
    """... and Asterisk refused: the line rings on like any other."""


LineEvent = (
    DialStatus
    | OriginateFailed
    | Answered
    | AmdUnreachable
    | Verdict
    | VerdictLost
    | Connect
    | Offered
    | NoAgent
    | AgentDialStatus
    | AgentUnreachable
    | AgentAnswered
    | Bridged
    | BridgeFailed
    | AgentGone
    | CustomerGone
    | PlaybackFinished
    | PlayFailed
    | HangUpRinging
    | HangUpRingingFailed
)
