"""Every Redis key and channel the routing domain uses, in one place (names other domains
share, such as the agent's screen channel, are in ``engine/keys.py``).

For Redis Cluster, give a prefix in braces (``{tenure}``) so that every key of the
pool lands in one slot: the Lua scripts touch many keys at once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str

    def agent(self, agent_id: str) -> str:  # hash: profile, state, counters
        return f"{self.prefix}:agent:{agent_id}"

    @property
    def agents(self) -> str:  # set of agent ids
        return f"{self.prefix}:agents"

    def pool(self, name: str) -> str:  # zset agent -> idle_since
        return f"{self.prefix}:pool:{name}"

    def call(self, call_id: str) -> str:  # hash: a waiting or ringing call
        return f"{self.prefix}:call:{call_id}"

    def lane(self, name: str) -> str:  # zset call -> queued_at
        return f"{self.prefix}:lane:{name}"

    @property
    def lanes(self) -> str:  # set of lane names that may hold calls
        return f"{self.prefix}:lanes"

    def waiting(self, queue: str) -> str:  # zset call -> queued_at (metrics)
        return f"{self.prefix}:waiting:{queue}"

    def stats(self, queue: str, day: str) -> str:  # hash: answered, in_sl, abandoned...
        return f"{self.prefix}:stats:{queue}:{day}"

    @property
    def wrapup(self) -> str:  # zset agent -> wrap-up end
        return f"{self.prefix}:wrapup"

    @property
    def ringing(self) -> str:  # zset agent -> reservation deadline
        return f"{self.prefix}:ringing"

    def alive(self, instance: str) -> str:  # string with TTL: engine heartbeat
        return f"{self.prefix}:alive:{instance}"

    def offers(self, instance: str) -> str:  # pub/sub: offers for an instance's calls
        return f"{self.prefix}:offers:{instance}"

    @property
    def wake(self) -> str:  # pub/sub: agent ids now available
        return f"{self.prefix}:wake"

    @property
    def detached(self) -> str:  # zset call -> when its engine let go
        return f"{self.prefix}:detached"

    @property
    def instances(self) -> str:  # zset engine -> last heartbeat
        return f"{self.prefix}:instances"

    @property
    def events(self) -> str:  # pub/sub: routing events (JSON)
        return f"{self.prefix}:routing-events"

    @property
    def metrics_lock(self) -> str:  # who publishes metrics snapshots
        return f"{self.prefix}:metrics-lock"
