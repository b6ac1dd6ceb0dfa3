"""Dialer calls an earlier life of the engine left talking (an engine restart).

At every ARI (re)connect ``Adoptions.resync`` reads the attempts still talking
(``outcome = 'answered'``, no ``talk_seconds`` yet) that no campaign line of this engine owns:

- both legs still in Asterisk (the customer's channel and ``<channel>-agent``): the call
  goes on undisturbed; when either side hangs up, the other is hung up, the bridge
  destroyed, the agent released in routing (into wrap-up, as after any call) and the
  attempt's talk time recorded;
- either leg gone (it ended while no engine watched): the same ending at once.

So an engine restart neither cuts customers off nor leaves their agents busy for ever.
The ``adopted`` / ``ended`` hooks let the speech side hear an adopted talk from the
restart on, as it heard it before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from engine.ari.client import AriClient
from engine.ari.errors import AriError
from engine.dialer.campaigns import dial_store
from engine.dialer.campaigns.schema import attempts
from engine.dialer.core.campaign import adoption
from engine.logs import get_logger
from engine.store.database import Database

log = get_logger(__name__)


@dataclass(frozen=True)
class Talk:
    attempt_id: int
    channel: str
    agent_id: str
    answered_at: float
    number: str = ""
    customer_id: str | None = None
    campaign_id: int = 0

    @property
    def agent_channel(self) -> str:
        return f"{self.channel}-agent"

    @property
    def bridge_id(self) -> str:
        return f"{self.channel}-bridge"


def open_talks(db: Connection) -> list[Talk]:
    a = attempts.c
    query = select(
        a.id, a.channel_id, a.agent_id, a.answered_at, a.number, a.customer_id, a.campaign_id
    ).where(a.outcome == "answered", a.talk_seconds.is_(None), a.channel_id.is_not(None))
    return [
        Talk(int(r[0]), str(r[1]), str(r[2] or ""), float(r[3] or 0.0), str(r[4] or ""), r[5], r[6])
        for r in db.execute(query).all()
    ]


async def _nothing(talk: Talk) -> None:
    return None


async def _nobody(campaign_id: int) -> str | None:
    return None


class Adoptions:
    def __init__(
        self,
        db: Database,
        ari: AriClient,
        router: Any,
        clock: Callable[[], float],
        adopted: Callable[[Talk], Awaitable[None]] = _nothing,
        ended: Callable[[Talk], Awaitable[None]] = _nothing,
    ) -> None:
        self.db, self.ari, self.router, self.clock = db, ari, router, clock
        self.adopted, self.ended = adopted, ended  # the speech side hears adopted talks
        self.by_channel: dict[str, Talk] = {}

    async def resync(
        self,
        owned: Callable[[str], bool],
        up: Collection[str],
        elsewhere: Callable[[int], Awaitable[str | None]] = _nobody,
    ) -> tuple[int, int]:
        """Adopt the talks still up (``up``: the channel IDs Asterisk has now), close the
        others; returns (adopted, closed). Talks of a campaign another live engine runs
        (``elsewhere``: its instance_id) are on that engine's Asterisk: left alone."""
        adopted = closed = 0
        for talk in await self.db.run(open_talks):
            if await elsewhere(talk.campaign_id):
                continue
            decision = adoption(
                talk.channel,
                talk.agent_channel,
                owned(talk.channel),
                talk.channel in self.by_channel,
                up,
            )
            if decision == "skip":
                continue
            if decision == "adopt":
                self.by_channel[talk.channel] = self.by_channel[talk.agent_channel] = talk
                adopted += 1
                await self.adopted(talk)
            else:
                await self._end(talk)
                closed += 1
        if adopted or closed:
            log.warning("dialer.talks_adopted", adopted=adopted, closed=closed)
        return adopted, closed

    async def channel_gone(self, channel: str) -> bool:
        """A channel was destroyed; True when it belonged to an adopted talk (now ended)."""
        talk = self.by_channel.get(channel)
        if talk is None:
            return False
        await self._end(talk)
        return True

    async def _end(self, talk: Talk) -> None:
        if self.by_channel.pop(talk.channel, None) is not None:
            await self.ended(talk)
        self.by_channel.pop(talk.agent_channel, None)
        for channel in (talk.channel, talk.agent_channel):
            with contextlib.suppress(AriError):
                await self.ari.hangup(channel)
        with contextlib.suppress(AriError):
            await self.ari.destroy_bridge(talk.bridge_id)
        now = self.clock()
        if talk.agent_id:
            await self.router.call_ended(talk.channel, talk.agent_id)
        talked = max(0.0, now - talk.answered_at) if talk.answered_at else 0.0
        await self.db.run(dial_store.talk_ended, talk.attempt_id, round(talked, 1), now)
