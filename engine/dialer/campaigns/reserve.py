"""The dialer's side of the shared agent pool (routing state in Redis).

Live answers get their agent through the routing service like inbound calls do (a
``RouteRequest`` on the campaign's queue; the offer comes back through the call
service's ``offer_claims``), so one agent is never handed an inbound and an outbound
call at once. Preview mode needs one *named* agent reserved before the dial:
``reserve_agent`` does that with one Lua script built on routing's own
``common.lua``, leaving the same call and agent records the routing scripts expect
(``call_connected`` / ``call_ended`` then work as for any call).

``AgentReservations`` is the dialer's one door into routing's storage (built by the
composition root, ``engine/app.py``): the reservation script, the agents' live states
(``team``), the calls waiting in a queue, and the channel routing publishes a freed
agent on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.routing.config_types import RoutingConfig
from engine.routing.plan import agent_meets, needs_at
from engine.routing.store import LUA, Reserved, RoutingStore

_RESERVE = """
-- ARGV: now, agent, call, deadline, owner, queue
local now, aid, cid, deadline = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4])
local a = redis.call('HMGET', akey(aid), 'state', 'registered')
if a[1] ~= 'available' or a[2] == '0' then return false end
if redis.call('EXISTS', ckey(cid)) == 1 then return false end
redis.call('HSET', ckey(cid), 'state', 'waiting', 'owner', ARGV[5], 'queue', ARGV[6],
           'queued_at', now, 'arrived_at', now, 'base', ARGV[6] .. '|-|-|-', 'lang', '',
           'tier', '-', 'topic', 'preview', 'lane', '')
return reserve(aid, cid, now, deadline)
"""


class AgentReservations:
    def __init__(self, store: RoutingStore) -> None:
        self.store = store
        self._script = store.redis.register_script(
            (LUA / "common.lua").read_text() + "\n" + _RESERVE
        )

    async def reserve_agent(
        self, agent_id: str, call_id: str, now: float, hold: float, owner: str, queue: str
    ) -> Reserved | None:
        """Reserve ``agent_id`` (it must be available) for ``call_id`` for ``hold`` seconds;
        None when the agent is not free."""
        raw = await self._script(
            keys=[self.store.keys.prefix],
            args=[repr(now), agent_id, call_id, repr(now + hold), owner, queue],
        )
        return Reserved.parse(raw)

    async def agents(self, agent_ids: list[str]) -> list[dict[str, str]]:
        """The agents' live records (state, since, wrap-up...)."""
        return await self.store.agents(agent_ids) if agent_ids else []

    async def endpoint(self, agent_id: str) -> str:
        """Where the agent's phone is dialled."""
        return str((await self.store.agent(agent_id)).get("endpoint", ""))

    async def waiting_ids(self, queue: str) -> list[tuple[str, float]]:
        """The calls waiting in ``queue`` (call id, score)."""
        return list(await self.store.waiting_ids(queue))

    async def team(self, agent_ids: list[str], now: float) -> Team:
        """What the pacer needs from the agents' live states."""
        return team_of(await self.agents(agent_ids), now)

    def wake_subscription(self) -> tuple[Any, str]:
        """A pub/sub connection and the channel routing announces a freed agent on."""
        return self.store.redis.pubsub(), self.store.keys.wake


def eligible_agents(config: RoutingConfig, queue: str) -> list[str]:
    """Agents who can take the campaign queue's calls (its base skills and groups)."""
    q = config.queues.get(queue) or config.queues.get(config.fallback_queue)
    if q is None:
        return sorted(config.agents)
    needs = needs_at(q, None, 0.0)
    return sorted(a.id for a in config.agents.values() if agent_meets(a, needs)[0])


@dataclass(frozen=True)
class Team:
    free: int
    talking: tuple[float, ...]  # seconds each agent on a call has talked
    wrapping: tuple[float, ...]  # seconds of wrap-up each agent has left
    logged_in: int


def team_of(rows: list[dict[str, str]], now: float) -> Team:
    """The agents' live records -> what the pacer needs."""
    free, talking, wrapping, logged_in = 0, [], [], 0
    for row in rows:
        state = row.get("state")
        if state != "logged_out":
            logged_in += 1
        if state == "available" and row.get("registered") != "0":
            free += 1
        elif state == "on_call":
            talking.append(max(0.0, now - float(row.get("since") or now)))
        elif state == "wrapup":
            wrapping.append(max(0.0, float(row.get("wrapup_until") or now) - now))
    return Team(free, tuple(talking), tuple(wrapping), logged_in)
