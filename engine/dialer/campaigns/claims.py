"""A number is dialled by at most one engine at a time: every attempt is claimed in
Redis before the dial (``SET NX`` on ``<prefix>:dial:<number>``, holding
``<instance_id>|<line>``), kept alive while the line lives (the runner refreshes its
claims every tick) and released when the attempt ends. An engine that dies stops
refreshing: its claims expire after ``ttl`` seconds and the number may be dialled again.

A campaign is run by one engine at a time too: its runner holds a lease
(``<prefix>:campaign:<id>`` = instance_id, ``CAMPAIGN_TTL``) refreshed every tick; the
other engines leave it alone while it is held and take the campaign over when its
engine died (the lease expired). A supervisor may still control it from any engine: the
new status is written to the shared store and announced on
``<prefix>:campaign-controls``; the engine running it applies it at once (and, should
the message be lost, on its next look at the store, ``CAMPAIGN_WATCH``).

Two engines whose campaigns hold the same customer (a callback synced into the
campaigns of two boxes) thus never ring them twice at once; the history an attempt is
judged against is the shared store's, by number (``dial_store.candidates``), read
again under the claim (``dial_store.dialled_since``) so an attempt another box just
finished counts.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
import redis.asyncio as aioredis

from engine.dialer.keys import campaign_controls, campaign_lease, dial_claim

TTL = 60.0  # seconds a claim outlives its last refresh (its engine died)
CAMPAIGN_TTL = 10.0  # seconds a campaign's lease outlives its engine's last tick

# KEYS: the lease; ARGV: our instance_id, ttl ms. Taken when free, kept when ours.
_HOLD = """
local held = redis.call('GET', KEYS[1])
if held and held ~= ARGV[1] then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]
"""

# KEYS: claim keys; ARGV: holder, ttl ms. Deletes (ttl 0) or refreshes the ones we hold.
_OURS = """
local n = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    if ARGV[2] == '0' then redis.call('DEL', key) else redis.call('PEXPIRE', key, ARGV[2]) end
    n = n + 1
  end
end
return n
"""


class DialClaims:
    def __init__(self, redis: aioredis.Redis, prefix: str, instance: str, ttl: float = TTL) -> None:
        self.redis, self.prefix, self.instance, self.ttl = redis, prefix, instance, ttl
        self._ours = redis.register_script(_OURS)
        self._hold = redis.register_script(_HOLD)

    def holder(self, line_id: str) -> str:
        return f"{self.instance}|{line_id}"

    async def claim(self, number: str, line_id: str) -> bool:
        """True when ``line_id`` may dial ``number`` now (nobody else is)."""
        key = dial_claim(self.prefix, number)
        return bool(
            await self.redis.set(key, self.holder(line_id), nx=True, px=int(self.ttl * 1000))
        )

    async def release(self, number: str, line_id: str) -> None:
        await self._ours(keys=[dial_claim(self.prefix, number)], args=[self.holder(line_id), 0])

    async def refresh(self, lines: Iterable[tuple[str, str]]) -> None:
        """Keep the claims of the lines still up: (number, line id) pairs."""
        for number, line_id in lines:
            await self._ours(
                keys=[dial_claim(self.prefix, number)],
                args=[self.holder(line_id), int(self.ttl * 1000)],
            )

    async def held_by(self, number: str) -> str | None:
        raw = await self.redis.get(dial_claim(self.prefix, number))
        return raw.decode() if isinstance(raw, bytes) else raw

    async def hold_campaign(self, campaign_id: int) -> str:
        """Take or keep the campaign's lease; returns who holds it now (we: our
        instance_id)."""
        held = await self._hold(
            keys=[campaign_lease(self.prefix, campaign_id)],
            args=[self.instance, int(CAMPAIGN_TTL * 1000)],
        )
        return held.decode() if isinstance(held, bytes) else str(held)

    async def let_go_campaign(self, campaign_id: int) -> None:
        await self._ours(keys=[campaign_lease(self.prefix, campaign_id)], args=[self.instance, 0])

    async def campaign_engine(self, campaign_id: int) -> str | None:
        raw = await self.redis.get(campaign_lease(self.prefix, campaign_id))
        return raw.decode() if isinstance(raw, bytes) else raw

    @property
    def controls(self) -> str:
        """The channel campaign controls made on any engine are announced on."""
        return campaign_controls(self.prefix)

    async def announce_status(self, campaign_id: int, status: str) -> int:
        """Tell the engine running the campaign its new status; how many engines heard."""
        message = {"campaign": campaign_id, "status": status, "by": self.instance}
        return int(await self.redis.publish(self.controls, orjson.dumps(message)))
