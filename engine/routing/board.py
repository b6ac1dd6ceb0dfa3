"""The matching core in memory: the same indexes and the same choices as the Lua scripts.

Pure (no I/O, time passed in). Used by the tests as the reference model, by the benchmark
as "the core", and usable as a single-process router. Pools hold available agents sorted
by (idle_since, id); lanes hold waiting calls sorted by (queued_at, id), indexed by
queue|tier|language. A decision touches a handful of sorted lists, never every agent.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass, field

from engine.routing import plan
from engine.routing.config_types import Agent, RoutingConfig


@dataclass
class BoardCall:
    call_id: str
    lane: str
    queued_at: float
    queue: str
    language: str
    tier: str


@dataclass
class Board:
    config: RoutingConfig
    pools: dict[str, list[tuple[float, str]]] = field(default_factory=dict)
    idle: dict[str, float] = field(default_factory=dict)  # available agents
    lanes: dict[str, list[tuple[float, str]]] = field(default_factory=dict)
    lane_index: dict[str, set[str]] = field(default_factory=dict)  # queue|tier|lang -> lanes
    calls: dict[str, BoardCall] = field(default_factory=dict)  # waiting calls
    reserved: dict[str, str] = field(default_factory=dict)  # agent -> call
    cutoffs: plan.Cutoffs | None = None

    # -- agents ------------------------------------------------------------------------
    def agent_free(self, agent_id: str, idle_since: float) -> None:
        agent = self.config.agents[agent_id]
        self.reserved.pop(agent_id, None)
        self.idle[agent_id] = idle_since
        for pool in plan.agent_pools(agent):
            insort(self.pools.setdefault(pool, []), (idle_since, agent_id))

    def agent_busy(self, agent_id: str) -> None:
        idle = self.idle.pop(agent_id)
        for pool in plan.agent_pools(self.config.agents[agent_id]):
            entries = self.pools[pool]
            del entries[bisect_left(entries, (idle, agent_id))]

    # -- calls -------------------------------------------------------------------------
    def add_call(self, call: BoardCall) -> None:
        self.calls[call.call_id] = call
        insort(self.lanes.setdefault(call.lane, []), (call.queued_at, call.call_id))
        queue, lang, tier = call.lane.split("|")[:3]
        self.lane_index.setdefault(f"{queue}|{tier}|{lang}", set()).add(call.lane)

    def remove_call(self, call_id: str) -> BoardCall:
        call = self.calls.pop(call_id)
        entries = self.lanes[call.lane]
        del entries[bisect_left(entries, (call.queued_at, call_id))]
        return call

    def _reserve(self, agent_id: str, call_id: str) -> tuple[str, str]:
        if agent_id in self.reserved:
            raise AssertionError(f"agent {agent_id} reserved twice")
        self.agent_busy(agent_id)
        self.remove_call(call_id)
        self.reserved[agent_id] = call_id
        return agent_id, call_id

    # -- decisions ---------------------------------------------------------------------
    def best_agent(self, tiers: list[list[str]], extra: list[tuple[str, int]]) -> str | None:
        agents = self.config.agents
        for tier in tiers:
            best: tuple[float, str] | None = None
            for pool in tier:
                for entry in self.pools.get(pool, ()):
                    if all(agents[entry[1]].skills.get(s, 0) >= m for s, m in extra):
                        if best is None or entry < best:
                            best = entry
                        break
            if best is not None:
                return best[1]
        return None

    def match_call(self, call_id: str, now: float) -> tuple[str, str] | None:
        """A waiting call looks for the best available agent (and reserves them)."""
        call = self.calls[call_id]
        queue = self.config.queues[call.queue]
        needs = plan.needs_at(queue, self.config.tier(call.tier), now - call.queued_at)
        tiers, extra = plan.call_pools(queue, needs, call.language)
        agent_id = self.best_agent(tiers, extra)
        return None if agent_id is None else self._reserve(agent_id, call_id)

    def cutoffs_for(self, agent: Agent) -> dict[str, float]:
        if self.cutoffs is None:
            self.cutoffs = plan.Cutoffs(self.config)
        return self.cutoffs(agent)

    def best_call(self, agent: Agent, now: float) -> str | None:
        cfg = self.config
        best: tuple[float, str] | None = None
        for qt, cut in self.cutoffs_for(agent).items():
            for lang in agent.languages:
                for lane in self.lane_index.get(f"{qt}|{lang}", ()):
                    entries = self.lanes[lane]
                    if not entries or entries[0][0] > now - cut:
                        continue
                    queue, _, tier, risk, front, _ = lane.split("|")
                    v = entries[0][0] - plan.boost(cfg, queue, tier, risk, front == "1") / cfg.aging
                    if best is None or (v, entries[0][1]) < best:
                        best = (v, entries[0][1])
        return None if best is None else best[1]

    def match_agent(self, agent_id: str, now: float) -> tuple[str, str] | None:
        """A free agent takes the best waiting call they may serve (and is reserved)."""
        if agent_id not in self.idle:
            return None
        call_id = self.best_call(self.config.agents[agent_id], now)
        return None if call_id is None else self._reserve(agent_id, call_id)
