"""The engine's Redis clients: one blocking connection pool, sized from settings.

redis-py's default pool raises ``MaxConnectionsError`` the moment every connection is
busy, which under a burst of calls loses a call in the routing path. A
``BlockingConnectionPool`` instead makes the command wait, at most ``timeout`` seconds,
for a connection to come back: a busy engine is slower, never wrong.

Subscriptions (the routing and dialer listeners) hold their connection for the engine's
life, so they take theirs from a pool of their own: ``max_connections`` bounds what
commands use, and a listener never starves them.

    redis = redispool.connect(settings.redis_url, settings.redis_max_connections,
                              settings.redis_pool_timeout)
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub


class EngineRedis(aioredis.Redis):
    """A client whose commands share a bounded blocking pool and whose subscriptions do
    not (``listeners``: one connection per ``pubsub()``, closed with the client)."""

    listeners: aioredis.ConnectionPool

    def pubsub(self, **kwargs: Any) -> PubSub:
        return PubSub(self.listeners, **kwargs)

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        await self.listeners.disconnect()


def connect(
    url: str, max_connections: int = 64, timeout: float = 10.0, decode_responses: bool = True
) -> EngineRedis:
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=timeout, decode_responses=decode_responses
    )
    client = EngineRedis(connection_pool=pool)
    client.auto_close_connection_pool = True  # (what ``from_pool`` does: closed together)
    client.listeners = aioredis.ConnectionPool.from_url(url, decode_responses=decode_responses)
    return client
