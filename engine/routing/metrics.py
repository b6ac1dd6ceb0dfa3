"""Live routing metrics for supervisors, read from Redis (so every engine sees the same).

Per queue: calls waiting (including those ringing an agent), the longest wait, today's
entered / answered / abandoned / overflowed counts and the service level: the share of
answered-or-abandoned calls answered within the queue's target. Per agent: state and
occupancy. One engine at a time (a short Redis lock) publishes a snapshot every
``PUBLISH_EVERY`` seconds on the routing events channel, next to the change events.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING, Any

from engine.logs import get_logger
from engine.routing.config_types import RoutingConfig
from engine.routing.presence import agent_view
from engine.routing.store import RoutingStore, day, row

if TYPE_CHECKING:
    from engine.routing.service import RoutingService

log = get_logger(__name__)
PUBLISH_EVERY = 2.0


async def queue_metrics(
    store: RoutingStore, config: RoutingConfig, now: float
) -> list[dict[str, Any]]:
    keys, today = store.keys, day(now)
    names = sorted(config.queues)
    async with store.redis.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.zcard(keys.waiting(name))
            pipe.zrange(keys.waiting(name), 0, 0, withscores=True)
            pipe.hgetall(keys.stats(name, today))
        replies = await pipe.execute()
    out = []
    for i, name in enumerate(names):
        count, head, raw = replies[3 * i : 3 * i + 3]
        stats = {k: float(v) for k, v in row(raw).items()}
        answered, abandoned = int(stats.get("answered", 0)), int(stats.get("abandoned", 0))
        closed = answered + abandoned
        queue = config.queues[name]
        out.append(
            {
                "queue": name,
                "waiting": int(count),
                "longest_wait": round(now - float(head[0][1]), 1) if head else 0.0,
                "entered": int(stats.get("entered", 0)),
                "answered": answered,
                "abandoned": abandoned,
                "overflowed": int(stats.get("overflowed", 0)),
                "service_level": round(100.0 * stats.get("in_sl", 0) / closed, 1)
                if closed
                else None,
                "service_level_target": {"percent": queue.sl_percent, "seconds": queue.sl_seconds},
                "average_wait": round(stats.get("wait_total", 0) / answered, 1)
                if answered
                else None,
            }
        )
    return out


async def agent_metrics(store: RoutingStore, now: float) -> list[dict[str, Any]]:
    return [agent_view(r, now) for r in await store.agents()]


async def snapshot(store: RoutingStore, config: RoutingConfig, now: float) -> dict[str, Any]:
    agents = await agent_metrics(store, now)
    return {
        "type": "metrics",
        "at": now,
        "queues": await queue_metrics(store, config, now),
        "agents": {"by_state": dict(Counter(a["state"] for a in agents)), "list": agents},
    }


async def publisher(svc: RoutingService) -> None:
    """Publish a snapshot every few seconds while this engine holds the metrics lock."""
    store, keys = svc.store, svc.store.keys
    ttl = int(PUBLISH_EVERY * 1500)
    while True:
        try:
            held = await store.redis.set(keys.metrics_lock, svc.instance, nx=True, px=ttl)
            if not held:
                owner = await store.redis.get(keys.metrics_lock)
                held = owner in (svc.instance, svc.instance.encode())
                if held:
                    await store.redis.pexpire(keys.metrics_lock, ttl)
            # Nobody listening (no supervisor screen): spare the full agent scan.
            listeners = (await store.redis.pubsub_numsub(keys.events))[0][1] if held else 0
            if held and listeners:
                data = await snapshot(store, svc.config, svc.clock())
                await store.publish_event(keys.events, data)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("routing.metrics_failed")
        await asyncio.sleep(PUBLISH_EVERY)
