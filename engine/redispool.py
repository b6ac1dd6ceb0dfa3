"""The engine's Redis clients: one blocking connection pool, sized from settings.

redis-py's default pool raises ``MaxConnectionsError`` the moment every connection is
busy, which under a burst of calls loses a call in the routing path. A
``BlockingConnectionPool`` instead makes the command wait, at most ``timeout`` seconds,
for a connection to come back: a busy engine is slower, never wrong.

    redis = redispool.connect(settings.redis_url, settings.redis_max_connections,
                              settings.redis_pool_timeout)
"""

from __future__ import annotations

import redis.asyncio as aioredis


def connect(
    url: str, max_connections: int = 64, timeout: float = 10.0, decode_responses: bool = True
) -> aioredis.Redis:
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=timeout, decode_responses=decode_responses
    )
    return aioredis.Redis.from_pool(pool)  # (closing the client closes the pool)
