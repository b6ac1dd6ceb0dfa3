"""Routing state in Redis: every change is one Lua script, atomic across engine instances."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio as aioredis

from engine.logs import get_logger
from engine.routing.keys import Keys

LUA = Path(__file__).with_name("lua")
EXTRA_SKILL_SCAN = 32  # candidates per pool checked for a queue's second, third... skill


log = get_logger(__name__)
# KEYS: the heartbeat key; ARGV: our token, TTL in ms. Refreshed only while it is ours.
HEARTBEAT = """
local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


def _script(name: str) -> str:
    return (LUA / "common.lua").read_text() + "\n" + (LUA / f"{name}.lua").read_text()


def text(x: Any) -> str:
    """Redis replies as str whether or not the client decodes responses."""
    return x.decode() if isinstance(x, bytes) else str(x)


def row(raw: dict[Any, Any]) -> dict[str, str]:
    return {text(k): text(v) for k, v in raw.items()}


def day(now: float) -> str:
    return time.strftime("%Y%m%d", time.gmtime(now))


@dataclass(frozen=True)
class Reserved:
    """What a reservation script returns: enough to build the ``Offer``."""

    agent_id: str
    call_id: str
    endpoint: str
    owner: str
    queue: str
    language: str
    topic: str
    queued_at: float
    tier: str

    @classmethod
    def parse(cls, raw: list[Any] | None) -> Reserved | None:
        if not raw:
            return None
        a, c, endpoint, owner, queue, lang, topic, queued, tier = (text(x) for x in raw)
        return cls(a, c, endpoint, owner, queue, lang, topic, float(queued), tier)


class RoutingStore:
    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self.redis = redis
        self.keys = Keys(prefix)
        self._agent = redis.register_script(_script("agent"))
        self._calls = redis.register_script(_script("calls"))
        self._reserve_agent = redis.register_script(_script("reserve_agent"))
        self._reserve_call = redis.register_script(_script("reserve_call"))
        self._heartbeat = redis.register_script(HEARTBEAT)
        self.scripts = (self._agent, self._calls, self._reserve_agent, self._reserve_call)
        self._outbox: list[tuple[str, bytes]] = []
        self._flusher: asyncio.Future[None] | None = None

    async def load_scripts(self) -> None:
        """Put every script into Redis's script cache before the first call: else that
        call's first use of each finds it missing (``NOSCRIPT``) and sends it whole."""
        await asyncio.gather(*(self.redis.script_load(s.script) for s in self.scripts))

    # -- agents ---------------------------------------------------------------------
    async def agent_op(self, op: str, now: float, agent_id: str, *args: Any) -> tuple[bool, str]:
        ok, state = await self._agent(
            keys=[self.keys.prefix], args=[op, repr(now), agent_id, *args]
        )
        return bool(int(ok)), text(state)

    async def agent(self, agent_id: str) -> dict[str, str]:
        return row(await self.redis.hgetall(self.keys.agent(agent_id)))

    async def agent_ids(self) -> list[str]:
        return sorted(text(m) for m in await self.redis.smembers(self.keys.agents))

    async def agents(self, ids: list[str] | None = None) -> list[dict[str, str]]:
        ids = await self.agent_ids() if ids is None else ids
        async with self.redis.pipeline(transaction=False) as pipe:
            for agent_id in ids:
                pipe.hgetall(self.keys.agent(agent_id))
            rows = await pipe.execute()
        return [row(r) for r in rows if r]

    async def due(self, zset: str, now: float) -> list[str]:
        """Agents whose wrap-up or ring deadline (``zset``) has passed."""
        return [text(m) for m in await self.redis.zrangebyscore(zset, "-inf", repr(now))]

    # -- calls ----------------------------------------------------------------------
    async def call_op(self, op: str, now: float, call_id: str, *args: Any) -> Any:
        return await self._calls(keys=[self.keys.prefix], args=[op, repr(now), call_id, *args])

    async def enqueue(
        self,
        now: float,
        call_id: str,
        base: str,
        owner: str,
        queue: str,
        topic: str,
        caller: dict[str, Any],
        arrived_at: float,
    ) -> tuple[str, float]:
        state, queued = await self.call_op(
            "enqueue",
            now,
            call_id,
            base,
            owner,
            queue,
            day(now),
            topic,
            orjson.dumps(caller).decode(),
            repr(arrived_at),
        )
        return text(state), float(text(queued))

    async def call(self, call_id: str) -> dict[str, str]:
        return row(await self.redis.hgetall(self.keys.call(call_id)))

    async def calls(self, ids: list[str]) -> list[dict[str, str]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for call_id in ids:
                pipe.hgetall(self.keys.call(call_id))
            rows = await pipe.execute()
        return [{**row(r), "id": i} for i, r in zip(ids, rows, strict=True) if r]

    async def waiting_ids(self, queue: str) -> list[tuple[str, float]]:
        pairs: list[Any] = await self.redis.zrange(self.keys.waiting(queue), 0, -1, withscores=True)
        return [(text(m), float(s)) for m, s in pairs]

    # -- matching -------------------------------------------------------------------
    async def reserve_agent(
        self,
        now: float,
        call_id: str,
        deadline: float,
        tiers: list[list[str]],
        extra: list[tuple[str, int]],
    ) -> Reserved | None:
        args: list[Any] = [repr(now), call_id, repr(deadline), EXTRA_SKILL_SCAN, len(extra)]
        for skill, low in extra:
            args += [skill, low]
        args.append(len(tiers))
        for tier in tiers:
            args += [len(tier), *tier]
        return Reserved.parse(await self._reserve_agent(keys=[self.keys.prefix], args=args))

    async def reserve_call(
        self, now: float, agent_id: str, deadline: float, plan: dict[str, Any]
    ) -> Reserved | None:
        raw = await self._reserve_call(
            keys=[self.keys.prefix],
            args=[repr(now), agent_id, repr(deadline), orjson.dumps(plan).decode()],
        )
        return Reserved.parse(raw)

    # -- engines --------------------------------------------------------------------
    async def claim_instance(self, instance: str, token: str, ttl: float) -> tuple[bool, int]:
        """Take ``instance`` for this process (its heartbeat key holds ``token``); when
        another process holds it: (False, milliseconds its heartbeat has left)."""
        key = self.keys.alive(instance)
        if await self.redis.set(key, token, nx=True, px=int(ttl * 1000)):
            return True, 0
        return False, int(await self.redis.pttl(key))

    async def heartbeat(self, instance: str, token: str, ttl: float) -> bool:
        """Refresh our heartbeat; False when another process took the instance over."""
        return bool(
            int(
                await self._heartbeat(
                    keys=[self.keys.alive(instance)], args=[token, int(ttl * 1000)]
                )
            )
        )

    async def engines_alive(self, instances: list[str]) -> dict[str, bool]:
        if not instances:
            return {}
        found = await self.redis.mget([self.keys.alive(i) for i in instances])
        return {i: v is not None for i, v in zip(instances, found, strict=True)}

    async def busy_agents(self) -> list[tuple[str, str, str, str]]:
        """(agent, state, engine, call) of every agent ringing or talking."""
        ids = await self.agent_ids()
        async with self.redis.pipeline(transaction=False) as pipe:
            for agent_id in ids:
                pipe.hmget(self.keys.agent(agent_id), "state", "engine", "call")
            rows = await pipe.execute()
        return [
            (agent_id, text(st), text(engine or ""), text(call or ""))
            for agent_id, (st, engine, call) in zip(ids, rows, strict=True)
            if st is not None and text(st) in ("ringing", "on_call")
        ]

    async def publish(self, channel: str, message: dict[str, Any]) -> int:
        """Publish now and return how many engines received it (offers between engines
        rely on that). Supervisor events go through ``publish_event`` instead."""
        return int(await self.redis.publish(channel, orjson.dumps(message)))

    async def publish_event(self, channel: str, message: dict[str, Any]) -> None:
        """Queue an event for supervisors; queued events go out together, pipelined, so
        the call path never waits a Redis round trip for them."""
        self._outbox.append((channel, orjson.dumps(message)))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # let the other events of this tick join in
        while self._outbox:
            batch, self._outbox = self._outbox, []
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for channel, payload in batch:
                        pipe.publish(channel, payload)
                    await pipe.execute()
            except Exception as exc:  # Redis down: supervisors miss these events
                log.warning("routing.publish_failed", events=len(batch), error=str(exc))

    async def drain(self) -> None:
        """Wait until queued events are sent (at shutdown)."""
        if self._flusher is not None:
            await asyncio.wait({self._flusher}, timeout=2.0)
