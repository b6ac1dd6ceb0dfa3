"""The routing service's background work: heartbeat, escalation ticks, timers that outlive
an engine (wrap-up ends, stuck reservations, calls nobody claims), offers from other
engines, and hot reload of the YAML."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import orjson

from engine.logs import get_logger
from engine.routing import metrics, recovery
from engine.routing import waiting as wt
from engine.routing.store import day, text

if TYPE_CHECKING:
    from engine.routing.service import RoutingService

log = get_logger(__name__)
TICK = 0.25  # seconds between escalation checks
HEARTBEAT = 1.0  # seconds between heartbeats; an engine is dead after 5 missed
CLAIM_GRACE = 60.0  # seconds a restarted engine has to enqueue its calls again
DEAD_AFTER = 60.0  # seconds of silence before another engine detaches a dead one's calls


async def heartbeat_once(svc: RoutingService) -> None:
    if not await svc.store.heartbeat(svc.instance, svc.token, 5 * HEARTBEAT):
        log.error("routing.instance_taken", instance=svc.instance)
    await svc.store.redis.zadd(svc.store.keys.instances, {svc.instance: svc.clock()})


async def detach_previous_life(svc: RoutingService) -> None:
    """Calls this engine owned before a restart wait, out of every lane, to be claimed."""
    store, now = svc.store, svc.clock()
    for lane in [text(x) for x in await store.redis.smembers(store.keys.lanes)]:
        if lane.endswith(f"|{svc.instance}"):
            for call_id in await store.redis.zrange(store.keys.lane(lane), 0, -1):
                await store.call_op("detach", now, text(call_id))


async def wrapup_done(svc: RoutingService, agent_id: str) -> None:
    ok, state = await svc.store.agent_op("wrapup_done", svc.clock(), agent_id)
    if ok:
        await svc.presence.announce(agent_id, state, svc.clock())
        if state == "available":
            await svc.match_agent(agent_id)


async def resume_after_offer(
    svc: RoutingService, agent_id: str, reason: str, paused_at: float
) -> None:
    """``offer_pause_seconds`` after a failed offer paused the agent: available again,
    unless the agent's state changed in between (unpaused, paused for a break...)."""
    ok, _ = await svc.store.agent_op("resume", svc.clock(), agent_id, reason, repr(paused_at))
    if ok:
        log.info("routing.offer_pause_over", agent=agent_id, reason=reason)
        await svc._available(agent_id)


async def _escalate(svc: RoutingService, now: float) -> None:
    for call_id, w in list(svc.waiting.items()):
        actions = wt.due_actions(svc.config, w, now)
        for kind, arg in actions:
            if kind == "callback":
                await svc.emit("callback-offered", call_id, queue=w.queue, after=arg)
                if svc.on_callback is not None:
                    svc.spawn(svc.on_callback(call_id, w.queue))
            elif kind == "overflow" and arg in svc.config.queues:
                await svc.store.redis.hincrby(
                    svc.store.keys.stats(w.queue, day(now)), "overflowed", 1
                )
                await svc.emit("overflow", call_id, queue=arg, previous=w.queue)
                new = wt.classify(svc.config, w.request, arg)
                new.queued_at, new.tier_done = w.queued_at, w.tier_done
                await svc._put(new, now)
                new.catch_up(svc.config, now)
                new.tier_done = new.tier_done or w.tier_done
                svc.waiting[call_id] = w = new
        if actions and call_id in svc.waiting:
            await svc.match_call(call_id)


async def _sweep(svc: RoutingService, now: float) -> None:
    store, keys = svc.store, svc.store.keys
    for agent_id in await store.due(keys.wrapup, now):
        await wrapup_done(svc, agent_id)
    for agent_id in await store.due(keys.ringing, now):
        await svc.release(agent_id, "front")
    for call_id in await store.due(keys.detached, now - CLAIM_GRACE):
        await svc.cancel(call_id)
    dead = {
        text(i)
        for i in await store.redis.zrangebyscore(keys.instances, "-inf", repr(now - DEAD_AFTER))
    }
    for lane in [text(x) for x in await store.redis.smembers(keys.lanes)]:
        if lane.rsplit("|", 1)[-1] in dead:
            for member in await store.redis.zrange(keys.lane(lane), 0, -1):
                await store.call_op("detach", now, text(member))
    await svc.match_waiting()


async def _ticker(svc: RoutingService) -> None:
    n = 0
    while True:
        await asyncio.sleep(TICK)
        n += 1
        try:
            now = svc.clock()
            await _escalate(svc, now)
            if n % int(HEARTBEAT / TICK) == 0:
                await recovery.release_orphans(svc)
            if n % int(5 / TICK) == 0:
                await _sweep(svc, now)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("routing.tick_failed")


async def _heartbeats(svc: RoutingService) -> None:
    """The heartbeat in a task of its own: a tick busy with many waiting calls (a sweep
    over a hundred of them takes seconds on a loaded machine) must not let it lapse, or
    the other engines take this live engine for dead and free its agents."""
    while True:
        await asyncio.sleep(HEARTBEAT)
        try:
            await heartbeat_once(svc)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("routing.heartbeat_failed")


async def _listener(svc: RoutingService, pubsub: Any) -> None:
    """Offers for our calls and wake-ups for free agents. Polls, and ends when the service
    closes: redis-py's pub/sub reader does not always let a cancellation through."""
    offers = svc.store.keys.offers(svc.instance)
    while not svc.closed:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
        if message is None or message.get("type") != "message":
            continue
        try:
            if text(message["channel"]) == offers:
                await svc.receive_offer(wt.offer_from(orjson.loads(message["data"])))
            else:
                await svc.match_agent(text(message["data"]))
        except Exception:
            log.exception("routing.message_failed")


async def _watcher(svc: RoutingService) -> None:
    from watchfiles import awatch

    assert svc.skills_dir is not None
    svc._watch_stop = stop = asyncio.Event()
    async for _ in awatch(
        svc.skills_dir, debounce=300, step=100, stop_event=stop, rust_timeout=500
    ):
        await svc.reload_now()


async def start_tasks(svc: RoutingService) -> list[asyncio.Task[Any]]:
    keys = svc.store.keys
    pubsub = svc.store.redis.pubsub()
    await pubsub.subscribe(keys.offers(svc.instance), keys.wake)
    svc._pubsub = pubsub
    tasks = [
        asyncio.create_task(_ticker(svc), name="routing-tick"),
        asyncio.create_task(_heartbeats(svc), name="routing-heartbeat"),
        asyncio.create_task(_listener(svc, pubsub), name="routing-listen"),
        asyncio.create_task(metrics.publisher(svc), name="routing-metrics"),
    ]
    if svc.watch and svc.skills_dir is not None:
        tasks.append(asyncio.create_task(_watcher(svc), name="routing-watch"))
    return tasks


async def stop_tasks(svc: RoutingService, tasks: list[asyncio.Task[Any]]) -> None:
    """Stop within about a second: the listener and watcher notice ``closed`` / the stop
    event by themselves; anything still running after that is cancelled."""
    if svc._watch_stop is not None:
        svc._watch_stop.set()  # the watcher thread notices within 100 ms
    for task in tasks:
        if task.get_name() in ("routing-tick", "routing-heartbeat", "routing-metrics"):
            task.cancel()
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=2.0)
        for task in pending:
            task.cancel()
            log.warning("routing.stop_cancelled", task=task.get_name())
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(task), 1.0)
    pubsub = getattr(svc, "_pubsub", None)
    if pubsub is not None:
        with contextlib.suppress(Exception):
            await pubsub.aclose()
    with contextlib.suppress(Exception):  # only our own heartbeat, never a successor's
        if text(await svc.store.redis.get(svc.store.keys.alive(svc.instance)) or "") == svc.token:
            await svc.store.redis.delete(svc.store.keys.alive(svc.instance))
