"""An offer may overtake Redis's reply to our own enqueue (the double-book hang).

Another engine's free agent can reserve our call the moment the enqueue script has run,
and its offer (pub/sub, another connection) may reach us before that script's reply. The
call must ring, not be taken for a stranger's and detached: a detached call waits for a
restart that never comes and is never served. Redis is stood in for by a store whose
enqueue reply we hold back; the real scripts are covered by tests/integration.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio as aioredis

from engine.calls.ports import Offer, RouteRequest
from engine.routing.service import RoutingService

from .factory import make_config


def service() -> tuple[RoutingService, asyncio.Event, list[Offer], list[tuple[Any, ...]]]:
    svc = RoutingService(
        aioredis.Redis(),  # never connected: every store call used here is replaced
        make_config(),
        prefix="t",
        ring_timeout=5,
        wrapup_seconds=0,
        clock=lambda: 100.0,
        instance="e1",
        watch=False,
    )
    reply, rang, agent_ops = asyncio.Event(), [], []

    async def enqueue(now: float, *args: Any) -> tuple[str, float]:
        await reply.wait()  # the script has run; its reply is still on the wire
        return "waiting", now

    async def agent_op(*args: Any) -> tuple[bool, str]:
        agent_ops.append(args)
        return True, "available"

    async def nothing(*args: Any, **kwargs: Any) -> None:
        return None

    async def on_offer(offer: Offer) -> None:
        rang.append(offer)

    svc.store.enqueue = enqueue  # type: ignore[method-assign]
    svc.store.agent_op = agent_op  # type: ignore[method-assign]
    svc.store.reserve_agent = nothing  # type: ignore[method-assign]
    svc.store.reserve_call = nothing  # type: ignore[method-assign]
    svc.store.publish_event = nothing  # type: ignore[method-assign]
    svc.store.redis.publish = nothing  # type: ignore[method-assign]
    svc.set_offer_callback(on_offer)
    return svc, reply, rang, agent_ops


async def test_an_offer_that_overtakes_the_enqueue_reply_rings_the_call():
    svc, reply, rang, agent_ops = service()
    entering = asyncio.create_task(svc.enqueue(RouteRequest("c1", "general", 99.0, "en")))
    await asyncio.sleep(0)  # enqueue is waiting for Redis
    offer = Offer("c1", "gen", "PJSIP/gen")
    delivered = asyncio.create_task(svc.receive_offer(offer))
    await asyncio.sleep(0.01)
    assert rang == []  # held until our own enqueue knows the call
    reply.set()
    assert await asyncio.wait_for(delivered, 1) is True
    await asyncio.wait_for(entering, 1)
    assert rang == [offer] and agent_ops == []  # rung; the agent was not released
    assert "c1" in svc.offered and "c1" not in svc.waiting and svc.arriving == {}


async def test_an_offer_for_a_call_we_do_not_have_frees_the_agent():
    svc, _, rang, agent_ops = service()
    assert await svc.receive_offer(Offer("gone", "gen", "PJSIP/gen")) is False
    assert rang == [] and agent_ops == [("release", 100.0, "gen", "detach")]


async def test_a_failed_enqueue_does_not_hold_offers_back():
    svc, _, _, _ = service()

    async def broken(*args: Any) -> tuple[str, float]:
        raise ConnectionError("redis went away")

    svc.store.enqueue = broken  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await svc.enqueue(RouteRequest("c1", "general", 99.0, "en"))
    assert svc.arriving == {}
    assert await asyncio.wait_for(svc.receive_offer(Offer("c1", "gen", "PJSIP/gen")), 1) is False
