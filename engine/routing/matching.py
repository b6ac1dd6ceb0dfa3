"""Matching and offer delivery, the part of the routing service that decides.

A match is one Lua script (``store.reserve_agent`` when a call looks for an agent,
``store.reserve_call`` when a free agent looks for a call); the pure rules in ``plan``
say where to look. The offer then goes to the engine that owns the call: ourselves
(the offer callback) or another engine (its offers channel).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from engine.calls.ports import Offer, OfferCallback
from engine.logs import get_logger
from engine.routing import plan
from engine.routing import waiting as wt
from engine.routing.store import Reserved

if TYPE_CHECKING:
    from collections.abc import Callable

    from engine.routing.config_types import RoutingConfig
    from engine.routing.presence import Presence
    from engine.routing.store import RoutingStore

log = get_logger(__name__)


class Matching:
    """Mixed into ``RoutingService``; these are the attributes it relies on."""

    config: RoutingConfig
    store: RoutingStore
    presence: Presence
    instance: str
    ring_timeout: float
    clock: Callable[[], float]
    closed: bool
    waiting: dict[str, wt.Waiting]
    offered: dict[str, wt.Waiting]
    arriving: dict[str, asyncio.Event]
    _offer_cb: OfferCallback | None
    _plans: dict[str, dict[str, Any]]
    _cutoffs: plan.Cutoffs

    def agent_plan(self, agent_id: str) -> dict[str, Any] | None:
        agent = self.config.agents.get(agent_id)
        if agent is None:
            return None
        if agent_id not in self._plans:
            cfg = self.config
            self._plans[agent_id] = {
                "cut": self._cutoffs(agent),
                "langs": list(agent.languages),
                "qb": {q.name: q.priority for q in cfg.queues.values()},
                "tb": {t.name: t.priority_boost for t in cfg.tiers},
                "rb": dict(cfg.churn_boost),
                "aging": cfg.aging,
            }
        return self._plans[agent_id]

    async def match_call(self, call_id: str) -> bool:
        w = self.waiting.get(call_id)
        if self.closed or w is None or w.queue not in self.config.queues:
            return False
        now = self.clock()
        queue = self.config.queues[w.queue]
        needs = plan.needs_at(queue, self.config.tier(w.tier), now - w.queued_at)
        tiers, extra = plan.call_pools(queue, needs, w.language)
        r = await self.store.reserve_agent(now, call_id, self._deadline(now), tiers, extra)
        return r is not None and await self._deliver(r, now)

    async def match_agent(self, agent_id: str) -> bool:
        agent_plan = self.agent_plan(agent_id)
        if self.closed or agent_plan is None:
            return False
        now = self.clock()
        r = await self.store.reserve_call(now, agent_id, self._deadline(now), agent_plan)
        return r is not None and await self._deliver(r, now)

    async def match_waiting(self) -> None:
        for call_id in sorted(self.waiting, key=lambda c: self.waiting[c].queued_at):
            await self.match_call(call_id)

    async def match_available(self) -> None:
        for row in await self.store.agents(sorted(self.config.agents)):
            if row.get("state") == "available" and row.get("registered") != "0":
                await self.match_agent(row["id"])

    def _deadline(self, now: float) -> float:
        return now + 2 * self.ring_timeout + 10.0

    async def _deliver(self, r: Reserved, now: float) -> bool:
        offer = Offer(r.call_id, r.agent_id, r.endpoint, wt.hints(self.config, r, now))
        await self.presence.announce(r.agent_id, "ringing", now, call_id=r.call_id)
        await self.emit("offered", r.call_id, queue=r.queue, agent_id=r.agent_id)
        if r.owner != self.instance:
            if not await self.store.publish(self.store.keys.offers(r.owner), wt.offer_dict(offer)):
                await self.release(r.agent_id, "front")
                return False
            return True
        return await self.receive_offer(offer)

    async def receive_offer(self, offer: Offer) -> bool:
        """An offer for one of our calls (reserved here or by another engine)."""
        arriving = self.arriving.get(offer.call_id)
        if arriving is not None:  # reserved before our enqueue's reply came back
            await arriving.wait()
        # a call we think is ringing may come back: its old reservation was released
        w = self.waiting.pop(offer.call_id, None) or self.offered.pop(offer.call_id, None)
        if w is None:
            await self.release(offer.agent_id, "detach")
            return False
        self.offered[offer.call_id] = w
        try:
            if self._offer_cb is None:
                raise RuntimeError("no offer callback set")
            await self._offer_cb(offer)
            return True
        except Exception:
            log.exception("routing.offer_failed", call=offer.call_id, agent=offer.agent_id)
            self.offered.pop(offer.call_id, None)
            self.waiting[offer.call_id] = w
            await self.release(offer.agent_id, "front", rematch=False)
            return False

    async def release(self, agent_id: str, call_to: str, rematch: bool = True) -> None:
        """Free an agent reserved for a call nobody will ring; the call goes back to the
        front of its lane (``front``) or waits for its engine to claim it (``detach``)."""
        ok, state = await self.store.agent_op("release", self.clock(), agent_id, call_to)
        if ok and state == "available":
            await self._available(agent_id, rematch)

    async def _available(self, agent_id: str, rematch: bool = True) -> None:
        await self.presence.announce(agent_id, "available", self.clock(), wake=rematch)
        if rematch:
            await self.match_agent(agent_id)

    async def emit(self, event: str, call_id: str, **fields: Any) -> None:
        await self.store.publish_event(
            self.store.keys.events,
            {
                "type": "call",
                "event": event,
                "call_id": call_id,
                "at": self.clock(),
                "instance": self.instance,
                **fields,
            },
        )
