"""Live call state for supervisors, shared through Redis across engine instances.

Every status change of a call is published on ``<prefix>:events:calls`` (JSON) and
mirrored in the hash ``<prefix>:calls:live`` (call ID -> JSON), from which a finished
call is removed. Supervisor screens subscribe to the channel and read the hash on start.
"""

from __future__ import annotations

from typing import Any

import orjson
import redis.asyncio as aioredis

from engine.calls.state import InboundCall
from engine.logs import get_logger

log = get_logger(__name__)


def snapshot(call: InboundCall) -> dict[str, Any]:
    r = call.record
    return {"id": call.call_id, "status": call.status, "caller_number": call.caller_number,
            "customer_id": r.get("customer_id"), "vip_tier": r.get("vip_tier"),
            "risk_tier": r.get("risk_tier"), "queue": r.get("queue"),
            "agent_id": r.get("agent_id"), "arrived_at": r.get("arrived_at"),
            "queued_at": r.get("queued_at"), "connected_at": r.get("connected_at"),
            "ended_at": r.get("ended_at"), "result": r.get("status")}


class LiveCalls:
    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self.redis = redis
        self.channel = f"{prefix}:events:calls"
        self.key = f"{prefix}:calls:live"

    async def __call__(self, call: InboundCall) -> None:
        data = snapshot(call)
        payload = orjson.dumps(data)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                if call.status == "ended":
                    pipe.hdel(self.key, call.call_id)
                else:
                    pipe.hset(self.key, call.call_id, payload)
                pipe.publish(self.channel, payload)
                await pipe.execute()
        except Exception as exc:   # Redis down: calls go on, supervisors see it later
            log.warning("live.publish_failed", call=call.call_id, error=str(exc))

    async def all(self) -> list[dict[str, Any]]:
        return [orjson.loads(v) for v in (await self.redis.hgetall(self.key)).values()]
