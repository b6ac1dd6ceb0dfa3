"""What the dialer core asks the adapters to do. The guard and ``compliance.pick``
return these; the ARI/AMI side carries them out in order."""

from __future__ import annotations

from dataclasses import dataclass

MIN_RING_SECONDS = 15.0  # US (FCC) and UK (Ofcom): ring at least this long before hanging up


@dataclass(frozen=True)
class Dial:
    """Originate a call to ``number``; let it ring at least ``ring_timeout`` seconds."""

    contact_id: str
    number: str
    ring_timeout: float
    agent_id: str | None = None  # set when an agent is reserved for this line


@dataclass(frozen=True)
class Bridge:
    """A live answer got an agent: bridge the two and screen-pop the agent."""

    call_id: str
    agent_id: str


@dataclass(frozen=True)
class HoldFor:
    """A live answer with no agent yet: keep it (silence) until an agent or ``deadline``."""

    call_id: str
    deadline: float


@dataclass(frozen=True)
class Abandon:
    """No agent within the grace period: play the identification message, then hang up.

    Counted against the abandon rate; ``number`` is not redialled for 72 h unless an
    agent is reserved for it."""

    call_id: str
    number: str
    message: str


DialerAction = Dial | Bridge | HoldFor | Abandon
