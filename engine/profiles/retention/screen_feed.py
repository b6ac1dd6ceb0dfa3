"""Delivers the screen pop to the agent a call reaches: an observer of ``CallService``
(like ``AgentDesk``) that, when a call is bridged to an agent, reads the caller's profile,
assembles the screen pop (``screenpop.py``), keeps it in Redis ``<prefix>:screen:<agent>``
until the call ends and publishes it on the agent's channel ``<prefix>:agent:<agent>``,
where the desk card goes too. ``GET /agents/{id}/screen`` (``retention_http.py``) serves
it over HTTP and, upgraded, streams that channel over a WebSocket.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis

from engine.calls.desk import card
from engine.calls.state import InboundCall
from engine.keys import agent_channel
from engine.logs import get_logger
from engine.profiles.retention.screenpop import ProfileView, Rules, assemble
from engine.profiles.value import SpendRanking

log = get_logger(__name__)
READ_TIMEOUT = 2.0
KEEP_SECONDS = 4 * 3600


class ProfileReader(Protocol):
    async def view(self, customer_id: str, now: float) -> ProfileView | None: ...
    async def ranking(self) -> SpendRanking: ...


class ScreenPops:
    def __init__(
        self,
        redis: aioredis.Redis,
        prefix: str,
        reader: ProfileReader,
        rules: Callable[[], Rules],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.reader = reader
        self.rules = rules
        self.clock = clock
        self.delivered = 0

    def channel(self, agent_id: str) -> str:
        return agent_channel(self.prefix, agent_id)

    def key(self, agent_id: str) -> str:
        return f"{self.prefix}:screen:{agent_id}"

    async def build(self, desk_card: dict[str, Any]) -> dict[str, Any] | None:
        customer_id = desk_card.get("customer_id")
        if not customer_id:
            return None
        now = self.clock()
        profile = await asyncio.wait_for(self.reader.view(customer_id, now), READ_TIMEOUT)
        if profile is None:
            return None
        ranking = await self.reader.ranking()
        return assemble(desk_card, profile, self.rules(), ranking, now)

    async def __call__(self, call: InboundCall) -> None:
        agent_id = call.record.get("agent_id")
        if not agent_id or call.status not in ("connected", "ended"):
            return
        if call.status == "ended":
            await self._clear(agent_id, call.call_id)
            return
        desk_card = card(call)
        try:
            pop = await self.build(desk_card)
        except Exception as exc:  # a slow or broken store: the agent still has the desk card
            log.warning("screenpop.build_failed", call=call.call_id, error=repr(exc))
            return
        if pop is None:
            return
        pop["agent_id"] = agent_id
        payload = orjson.dumps(pop)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.set(self.key(agent_id), payload, ex=KEEP_SECONDS)
                pipe.publish(self.channel(agent_id), payload)
                await pipe.execute()
            self.delivered += 1
        except Exception as exc:
            log.warning("screenpop.publish_failed", agent=agent_id, error=str(exc))

    async def _clear(self, agent_id: str, call_id: str) -> None:
        try:
            raw = await self.redis.get(self.key(agent_id))
            if raw and orjson.loads(raw).get("call_id") == call_id:
                await self.redis.delete(self.key(agent_id))
        except Exception as exc:
            log.warning("screenpop.clear_failed", agent=agent_id, error=str(exc))

    async def current(self, agent_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.key(agent_id))
        return orjson.loads(raw) if raw else None
