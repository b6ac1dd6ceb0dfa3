"""What can happen to an inbound call, as plain values fed to ``InboundCall.handle``."""

from __future__ import annotations

from dataclasses import dataclass

from engine.calls.ports import Caller, Offer


@dataclass(frozen=True)
class CallerArrived:
    channel: str
    number: str
    did: str
    name: str = ""


@dataclass(frozen=True)
class Identified:
    caller: Caller | None


@dataclass(frozen=True)
class Digit:
    digit: str


@dataclass(frozen=True)
class PlaybackDone:
    playback_id: str


@dataclass(frozen=True)
class TimerFired:
    name: str


@dataclass(frozen=True)
class AgentOffered:
    offer: Offer


@dataclass(frozen=True)
class AgentAnswered:
    channel: str


@dataclass(frozen=True)
class AgentLegFailed:
    channel: str
    reason: str  # "busy", "no-answer", "unreachable", "originate-failed"


@dataclass(frozen=True)
class Bridged:
    """The adapter put caller and agent in one bridge."""


@dataclass(frozen=True)
class CallerLeft:
    cause: str = "hangup"


@dataclass(frozen=True)
class AgentLeft:
    channel: str
    cause: str = "hangup"


@dataclass(frozen=True)
class SpeechStarted:
    """The caller began an utterance in a speech menu (its first partial result)."""

    menu: str


@dataclass(frozen=True)
class SpeechIntent:
    menu: str
    intent: str


@dataclass(frozen=True)
class SpeechConfirm:
    """The caller may have named ``intent``, not surely enough to route: ask first."""

    menu: str
    intent: str


@dataclass(frozen=True)
class SpeechYes:
    """The caller said a yes word ("是", "yes"): the answer to a confirmation."""

    menu: str


@dataclass(frozen=True)
class SpeechNoMatch:
    menu: str


@dataclass(frozen=True)
class ListenFailed:
    """Listening to a leg could not be set up (ARI, ports, model): keys only."""

    role: str
    reason: str = ""


@dataclass(frozen=True)
class EmotionObserved:
    """A caller utterance's emotion score; ``rise`` when it was a sharp rise."""

    score: float
    label: str
    rolling: float
    at: float  # epoch seconds of the utterance's end
    rise: bool = False
    previous: float = 0.0
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class HearTalk:
    """A connected call the IVR path did not bridge (the dialer's, or one adopted after a
    restart): hear both legs as a bridged call's are."""


@dataclass(frozen=True)
class TalkOver:
    """That call ended: stop hearing it and hand its transcript to the profile."""


CallEvent = (
    CallerArrived
    | Identified
    | Digit
    | PlaybackDone
    | TimerFired
    | AgentOffered
    | AgentAnswered
    | AgentLegFailed
    | Bridged
    | CallerLeft
    | AgentLeft
    | SpeechStarted
    | SpeechIntent
    | SpeechNoMatch
    | SpeechConfirm
    | SpeechYes
    | ListenFailed
    | EmotionObserved
    | HearTalk
    | TalkOver
)
