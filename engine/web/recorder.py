"""The wallboard's history in Redis: one engine task samples every ``step`` seconds what
the wallboard shows and writes it into the ring (``web/history.py``, key
``keys.wallboard_history``); ``GET /wallboard/history`` reads it back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import redis.asyncio as aioredis

from engine.keys import wallboard_history
from engine.logs import get_logger
from engine.web import history

log = get_logger(__name__)
# (now) -> (queue_metrics rows, campaign statuses)
Figures = Callable[[float], Awaitable[tuple[list[dict[str, Any]], list[dict[str, Any]]]]]


class WallboardHistory:
    def __init__(
        self,
        redis: aioredis.Redis,
        prefix: str,
        figures: Figures,
        step: float = history.STEP,
        capacity: int = history.CAPACITY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis, self.key, self.figures = redis, wallboard_history(prefix), figures
        self.step, self.capacity, self.clock = step, capacity, clock
        self.samples = 0

    async def write(self, point: dict[str, Any]) -> None:
        field = history.ring_field(int(point["slot"]), self.capacity)
        await self.redis.hset(self.key, field, orjson.dumps(point))

    async def record(self, now: float | None = None) -> dict[str, Any]:
        at = self.clock() if now is None else now
        queues, campaigns = await self.figures(at)
        point = history.sample(at, queues, campaigns, self.step)
        await self.write(point)
        self.samples += 1
        return point

    async def read(self, now: float | None = None) -> list[dict[str, Any]]:
        raw = await self.redis.hvals(self.key)
        stored = []
        for value in raw:
            try:
                row = orjson.loads(value)
            except orjson.JSONDecodeError:
                continue
            if isinstance(row, dict):
                stored.append(row)
        at = self.clock() if now is None else now
        return history.points(stored, at, self.step, self.capacity)

    async def run(self) -> None:
        """Sample on the step's boundaries until cancelled; a failed sample is logged
        and the next one tried (the chart shows a gap)."""
        while True:
            now = self.clock()
            await asyncio.sleep(self.step - (now % self.step))
            try:
                await self.record()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("wallboard.history_failed", error=str(exc))
