"""What an agent's screen receives when a call reaches them, through Redis.

When a call connects, the agent's desk gets who is calling (number, customer, tier,
risk), the queue, the topic and the hints routing attached to the offer (e.g. a
knowledge-base answer when the agent took the call outside their skills). It is
published on ``<prefix>:agent:<agent_id>`` and kept in ``<prefix>:desk:<agent_id>``
until the call ends, so a screen that opens mid-call still shows it
(``GET /agents/{id}/desk``). The profile store adds its screen pop on top.
"""

from __future__ import annotations

from typing import Any

import orjson
import redis.asyncio as aioredis

from engine.calls.state import InboundCall
from engine.keys import agent_channel
from engine.logs import get_logger

log = get_logger(__name__)


def card(call: InboundCall) -> dict[str, Any]:
    caller = call.caller
    r = call.record
    return {
        "type": "call",
        "call_id": call.call_id,
        "caller_number": call.caller_number,
        "customer_id": caller.customer_id if caller else None,
        "customer_name": caller.name if caller else None,
        "vip_tier": caller.vip_tier if caller else None,
        "risk_tier": caller.risk_tier if caller else None,
        "risk_score": caller.risk_score if caller else None,
        "queue": r.get("queue"),
        "topic": r.get("topic"),
        "language": r.get("language"),
        "ivr_path": r.get("ivr_path"),
        "waited": _waited(r),
        "hints": list(call.offer.hints) if call.offer else [],
    }


def _waited(r: dict[str, Any]) -> float | None:
    if r.get("connected_at") and r.get("queued_at"):
        return round(r["connected_at"] - r["queued_at"], 1)
    return None


class AgentDesk:
    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    def channel(self, agent_id: str) -> str:
        return agent_channel(self.prefix, agent_id)

    def key(self, agent_id: str) -> str:
        return f"{self.prefix}:desk:{agent_id}"

    async def __call__(self, call: InboundCall) -> None:
        agent_id = call.record.get("agent_id")
        if not agent_id or call.status not in ("connected", "ended"):
            return
        try:
            if call.status == "connected":
                payload = orjson.dumps(card(call))
                async with self.redis.pipeline(transaction=False) as pipe:
                    pipe.set(self.key(agent_id), payload, ex=4 * 3600)
                    pipe.publish(self.channel(agent_id), payload)
                    await pipe.execute()
            else:
                ended = orjson.dumps({"type": "call-ended", "call_id": call.call_id})
                async with self.redis.pipeline(transaction=False) as pipe:
                    pipe.delete(self.key(agent_id))
                    pipe.publish(self.channel(agent_id), ended)
                    await pipe.execute()
        except Exception as exc:  # Redis down: the call goes on without the card
            log.warning("desk.publish_failed", agent=agent_id, error=str(exc))

    async def current(self, agent_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.key(agent_id))
        return orjson.loads(raw) if raw else None
