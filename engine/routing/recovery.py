"""One engine per ``instance_id``, and what is left when an engine dies.

- ``claim_identity``: at start an engine takes its heartbeat key (``<prefix>:alive:<id>``)
  with a token of its own. A live engine with the same ``instance_id`` keeps refreshing
  that key: the new one is refused (``InstanceInUse``); a dead one's key expires within
  ``5 * HEARTBEAT`` seconds, which the new engine waits out (a restart right after a
  crash starts as soon as the old heartbeat is gone).
- ``release_orphans``: every live engine, once a heartbeat, frees the agents ringing or
  talking for an engine whose heartbeat expired (the agent record names the engine in
  ``engine``; the Lua op checks the heartbeat itself, so a live engine is never robbed).
- ``release_lost``: a restarted engine frees the agents its earlier life left ringing or
  talking on calls Asterisk no longer has, and gives up the waiting calls of its earlier
  life that did not come back.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Collection
from typing import TYPE_CHECKING

from engine.logs import get_logger
from engine.routing.store import text

if TYPE_CHECKING:
    from engine.routing.service import RoutingService

log = get_logger(__name__)


class InstanceInUse(RuntimeError):
    """Another live engine already runs with this ``instance_id``."""


def new_token() -> str:
    return secrets.token_hex(8)


async def claim_identity(svc: RoutingService, ttl: float, poll: float = 0.25) -> None:
    """Take ``svc.instance``: wait at most ``ttl`` (plus a poll) for a dead holder's
    heartbeat to expire; refuse at once when the holder refreshes it (it is alive)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ttl + 2 * poll
    last = -1
    while True:
        ok, left = await svc.store.claim_instance(svc.instance, svc.token, ttl)
        if ok:
            return
        if (last >= 0 and left > last + 50) or loop.time() > deadline:
            raise InstanceInUse(
                f"instance_id {svc.instance!r} is in use by a live engine on this Redis "
                f"(heartbeat {svc.store.keys.alive(svc.instance)}); give each engine its own "
                f"instance_id"
            )
        last = left
        await asyncio.sleep(poll)


async def release_orphans(svc: RoutingService) -> int:
    """Free the agents of engines whose heartbeat expired; returns how many."""
    busy = [b for b in await svc.store.busy_agents() if b[2] and b[2] != svc.instance]
    alive = await svc.store.engines_alive(sorted({engine for _, _, engine, _ in busy}))
    freed = 0
    for agent_id, _state, engine, call_id in busy:
        if not alive[engine]:
            freed += await _free(svc, agent_id, engine, call_id, force=False)
    return freed


async def release_lost(svc: RoutingService, channels: Collection[str]) -> int:
    """After a restart: free our earlier life's agents whose call is gone from Asterisk
    (``channels``: the channel ids it has now), and cancel our detached waiting calls
    whose caller is gone. Returns the agents freed."""
    freed = 0
    for agent_id, _state, engine, call_id in await svc.store.busy_agents():
        if engine == svc.instance and call_id not in channels:
            freed += await _free(svc, agent_id, engine, call_id, force=True)
    store = svc.store
    for member in await store.redis.zrange(store.keys.detached, 0, -1):
        call_id = text(member)
        owner = await store.redis.hget(store.keys.call(call_id), "owner")
        if owner is not None and text(owner) == svc.instance and call_id not in channels:
            await svc.cancel(call_id)
    return freed


async def _free(svc: RoutingService, agent_id: str, engine: str, call_id: str, force: bool) -> int:
    now = svc.clock()
    ok, state = await svc.store.agent_op("orphan", now, agent_id, engine, "1" if force else "0")
    if not ok:
        return 0
    log.warning("routing.agent_orphan_released", agent=agent_id, engine=engine, call=call_id)
    await svc.emit("engine-lost", call_id, agent_id=agent_id, engine=engine)
    if state == "available":
        await svc._available(agent_id)
    else:
        await svc.presence.announce(agent_id, state, now)
    return 1


async def adopt(svc: RoutingService, call_id: str, agent_id: str) -> None:
    """A talking call this engine adopted after a restart: its agent is on it again
    (another engine may have released them while we were down)."""
    ok, state = await svc.store.agent_op("adopt", svc.clock(), agent_id, svc.instance, call_id)
    if ok:
        await svc.presence.announce(agent_id, state, svc.clock(), call_id=call_id)
    else:
        log.warning("routing.adopt_refused", agent=agent_id, call=call_id, state=state)
