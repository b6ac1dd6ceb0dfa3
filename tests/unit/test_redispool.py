"""The engine's Redis client: commands wait for a bounded pool, listeners do not use it."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from engine import redispool
from engine.settings import SettingsError, load


async def test_commands_share_a_blocking_pool_sized_from_the_arguments():
    client = redispool.connect("redis://127.0.0.1:1/0", max_connections=3, timeout=2.5)
    pool = client.connection_pool
    assert isinstance(pool, aioredis.BlockingConnectionPool)
    assert (pool.max_connections, pool.timeout) == (3, 2.5)
    await client.aclose()


async def test_subscriptions_take_their_connections_from_their_own_pool():
    client = redispool.connect("redis://127.0.0.1:1/0", max_connections=1)
    pubsub = client.pubsub()
    assert pubsub.connection_pool is client.listeners
    assert pubsub.connection_pool is not client.connection_pool
    await pubsub.aclose()
    await client.aclose()


@pytest.mark.parametrize(
    "name,value",
    [
        ("REDIS_MAX_CONNECTIONS", "0"),
        ("ARI_MAX_CONNECTIONS", "0"),
        ("REDIS_POOL_TIMEOUT", "0"),
        ("ARI_POOL_TIMEOUT", "-1"),
    ],
)
def test_pool_settings_out_of_range_stop_start_up(name, value):
    with pytest.raises(SettingsError, match=name.lower()):
        load(None, environ={f"ENGINE_{name}": value})
