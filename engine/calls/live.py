"""Live call state for supervisors, shared through Redis across engine instances.

Status changes are collected and flushed together every ``interval`` seconds: the
hash ``<prefix>:calls:live`` (call ID -> JSON) gets the latest state of each changed
call (finished calls are removed), and one message on ``<prefix>:events:calls`` carries
the batch as a JSON list. Under load that is one Redis round trip per interval, not
one per call transition, and a Redis outage only delays the supervisors' view.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.typing import EncodableT

from engine.batching import Batcher
from engine.calls.state import InboundCall
from engine.logs import get_logger

log = get_logger(__name__)


def snapshot(call: InboundCall) -> dict[str, Any]:
    r = call.record
    return {
        "id": call.call_id,
        "status": call.status,
        "caller_number": call.caller_number,
        "customer_id": r.get("customer_id"),
        "vip_tier": r.get("vip_tier"),
        "risk_tier": r.get("risk_tier"),
        "queue": r.get("queue"),
        "agent_id": r.get("agent_id"),
        "arrived_at": r.get("arrived_at"),
        "queued_at": r.get("queued_at"),
        "connected_at": r.get("connected_at"),
        "ended_at": r.get("ended_at"),
        "result": r.get("status"),
        "emotion": r.get("emotion"),
        "emotion_alerts": r.get("emotion_alerts", 0),
    }


class LiveCalls(Batcher):
    def __init__(
        self, redis: aioredis.Redis, prefix: str, interval: float = 0.2, engine: str = ""
    ) -> None:
        super().__init__(interval, "live-calls")
        self.redis = redis
        self.engine = engine  # our instance_id, on every snapshot (``lost`` reads it back)
        self.channel = f"{prefix}:events:calls"
        self.key = f"{prefix}:calls:live"
        self._pending: dict[str, dict[str, Any]] = {}

    async def __call__(self, call: InboundCall) -> None:
        self._pending[call.call_id] = {**snapshot(call), "engine": self.engine}
        self.wake()

    async def flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, {}
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                ended = [cid for cid, snap in batch.items() if snap["status"] == "ended"]
                live: dict[EncodableT, EncodableT] = {
                    cid: orjson.dumps(s) for cid, s in batch.items() if cid not in ended
                }
                if ended:
                    pipe.hdel(self.key, *ended)
                if live:
                    pipe.hset(self.key, mapping=live)
                pipe.publish(self.channel, orjson.dumps(list(batch.values())))
                await pipe.execute()
        except Exception as exc:  # Redis down: calls go on; retry with the next batch
            log.warning("live.publish_failed", calls=len(batch), error=str(exc))
            for cid, snap in batch.items():
                self._pending.setdefault(cid, snap)

    async def all(self) -> list[dict[str, Any]]:
        return [orjson.loads(v) for v in (await self.redis.hgetall(self.key)).values()]

    async def lost(self, known: Collection[str]) -> list[dict[str, Any]]:
        """Our calls an earlier life of this engine left here that we do not run now
        (``known``): removed and returned, so their records can be closed."""
        gone = [
            snap
            for snap in await self.all()
            if snap.get("engine") == self.engine and snap.get("id") not in known
        ]
        if gone:
            await self.redis.hdel(self.key, *[snap["id"] for snap in gone])
        return gone
