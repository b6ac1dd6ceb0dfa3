"""The routing service: the call path's ``Router``, on state shared through Redis.

Waiting calls and agents live in Redis; every match is one Lua script that reserves an
agent for a call atomically, so engines sharing a Redis never hand one agent two calls.
Each engine keeps its own waiting calls in memory too (to walk their escalation
timeline) and receives offers for them: when another engine's free agent picks one of
our calls, the offer arrives on our offers channel.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from engine.calls.ports import OfferCallback, RouteRequest
from engine.logs import get_logger
from engine.routing import background, failures, plan, recovery
from engine.routing import waiting as wt
from engine.routing.config import RoutingConfigError, load_config
from engine.routing.config_types import RoutingConfig
from engine.routing.matching import Matching
from engine.routing.presence import Presence
from engine.routing.store import RoutingStore, day, text
from engine.routing.sync import caller_dict, sync_agents

log = get_logger(__name__)
CallbackHook = Callable[[str, str], Coroutine[Any, Any, None]]


class RoutingService(Matching):
    def __init__(
        self,
        redis: aioredis.Redis,
        config: RoutingConfig,
        prefix: str,
        ring_timeout: float,
        wrapup_seconds: float,
        clock: Callable[[], float] = time.time,
        *,
        instance: str | None = None,
        skills_dir: str | Path | None = None,
        watch: bool = True,
        offer_pause: float = 0.0,
        offer_exclude: float = 60.0,
    ) -> None:
        """``offer_pause``: seconds after which an agent paused by a failed offer is made
        available again (0: stays paused). ``offer_exclude``: seconds an agent whose phone
        this box could not reach gets no offers from this box (``failures``)."""
        self.config = config
        self.store = RoutingStore(redis, prefix)
        self.presence = Presence(self.store, clock)
        self.ring_timeout, self.wrapup_seconds, self.clock = ring_timeout, wrapup_seconds, clock
        self.instance = instance or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.token = recovery.new_token()  # this process's hold on ``instance``
        self.skills_dir = Path(skills_dir) if skills_dir else None
        self.watch = watch
        self.offer_pause = offer_pause
        self.offer_exclude = offer_exclude
        self.waiting: dict[str, wt.Waiting] = {}  # our calls waiting for an agent
        self.offered: dict[str, wt.Waiting] = {}  # our calls ringing an agent
        self.arriving: dict[str, asyncio.Event] = {}  # our calls being put in Redis
        self.reload_errors: list[str] = []
        # the engine's one reload path (``engine.skills.live``); None: this service alone
        self.reloader: Callable[[], Awaitable[bool]] | None = None
        self.on_callback: CallbackHook | None = None  # (call_id, queue): offer a callback
        self._offer_cb: OfferCallback | None = None
        self._plans: dict[str, dict[str, Any]] = {}
        self._cutoffs = plan.Cutoffs(config)
        self._tasks: list[asyncio.Task[Any]] = []
        self._spawned: set[asyncio.Task[Any]] = set()
        self._pubsub: Any = None
        self._watch_stop: asyncio.Event | None = None
        self.closed = False

    # -- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        """Refused (``recovery.InstanceInUse``) when a live engine has our instance_id."""
        await recovery.claim_identity(self, 5 * background.HEARTBEAT)
        await self.store.load_scripts()
        now = self.clock()
        await background.heartbeat_once(self)
        await background.detach_previous_life(self)
        await sync_agents(self.store, self.config, now)
        self._tasks = await background.start_tasks(self)
        await self.match_available()
        log.info("routing.started", instance=self.instance, agents=len(self.config.agents))

    async def stop(self) -> None:
        self.closed = True  # no new matches; waiting calls stay in Redis
        await background.stop_tasks(self, self._tasks)
        self._tasks = []
        if self._spawned:
            await asyncio.wait(set(self._spawned), timeout=2.0)
        await self.store.drain()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        if self.closed:
            coro.close()
            return
        task = asyncio.ensure_future(coro)
        self._spawned.add(task)
        task.add_done_callback(self._spawned.discard)

    # -- configuration -----------------------------------------------------------------
    def reload(self) -> None:
        """Re-read the YAML (SIGHUP, file watcher); a broken edit is refused and logged."""
        self.spawn(self.reload_now())

    async def reload_now(self) -> bool:
        """Re-read the YAML now: through the engine's one reload path when it is wired
        (every rule file), else the routing files of ``skills_dir``."""
        if self.reloader is not None:
            return await self.reloader()
        if self.skills_dir is None:
            log.warning("routing.reload_unavailable", reason="no skills_dir given")
            return False
        try:
            config = load_config(self.skills_dir)
        except RoutingConfigError as exc:
            self.refuse(exc.issues)
            return False
        await self.use(config)
        return True

    def refuse(self, issues: list[str]) -> None:
        """A broken edit: the config stays; ``reload_errors`` says why."""
        self.reload_errors = issues
        for issue in issues:
            log.error("routing.reload_refused", issue=issue)

    async def use(self, config: RoutingConfig) -> None:
        """A reloaded config: applied when it differs from the live one."""
        self.reload_errors = []
        if config.version != self.config.version:
            await self.apply(config)
            log.warning("routing.reloaded", version=config.version)

    async def apply(self, config: RoutingConfig) -> None:
        """Switch to ``config``: agents re-indexed, our calls re-laned at their old place."""
        now = self.clock()
        self.config, self._plans, self._cutoffs = config, {}, plan.Cutoffs(config)
        await sync_agents(self.store, config, now)
        for call_id, old in list(self.waiting.items()):
            new = wt.classify(config, old.request, old.queue)
            new.queued_at = old.queued_at
            new.catch_up(config, now)
            self.waiting[call_id] = new
            if new.base != old.base:
                await self._put(new, now)
        await self.match_waiting()
        await self.match_available()

    # -- Router protocol ---------------------------------------------------------------
    def set_offer_callback(self, callback: OfferCallback) -> None:
        self._offer_cb = callback

    async def enqueue(self, request: RouteRequest) -> None:
        now = self.clock()
        w = wt.classify(self.config, request)
        # Once the call is in Redis another engine's free agent may reserve it, and its
        # offer may reach us before Redis's reply to our enqueue does: ``receive_offer``
        # waits for ``arriving`` rather than take the call for a stranger's.
        self.arriving[request.call_id] = arrived = asyncio.Event()
        try:
            state = await self._put(w, now)
            w.catch_up(self.config, now)
            if state == "offered":
                self.offered[request.call_id] = w
                return
            self.waiting[request.call_id] = w
        finally:
            arrived.set()
            if self.arriving.get(request.call_id) is arrived:
                del self.arriving[request.call_id]
        await self.emit("queued", request.call_id, queue=w.queue, tier=w.tier)
        await self.match_call(request.call_id)

    async def cancel(self, call_id: str) -> None:
        w = self.waiting.pop(call_id, None) or self.offered.pop(call_id, None)
        now = self.clock()
        freed = await self.store.call_op("cancel", now, call_id, day(now))
        await self.emit("abandoned", call_id, queue=w.queue if w else None)
        if freed:
            await self._available(text(freed))

    async def agent_failed(self, call_id: str, agent_id: str, reason: str) -> None:
        verdict = failures.judge(reason)
        now = self.clock()
        if verdict.scope == "box":  # this box cannot reach the phone: only its offers stop
            back, state = await self._requeue(
                now, call_id, agent_id, verdict.reason, self.instance, now + self.offer_exclude
            )
            log.warning(
                "routing.agent_excluded",
                agent=agent_id,
                box=self.instance,
                reason=verdict.reason,
                failure=reason,
                seconds=self.offer_exclude,
                call=call_id,
            )
            # when it ends, our waiting calls may be offered to the agent again
            asyncio.get_running_loop().call_later(
                self.offer_exclude + 0.05, lambda: self.spawn(self.match_waiting())
            )
            if state:
                await self.presence.announce(
                    agent_id,
                    state,
                    now,
                    excluded_from=self.instance,
                    reason=verdict.reason,
                    until=now + self.offer_exclude,
                )
        else:  # the person did not take it: paused everywhere, as in every ACD
            back, state = await self._requeue(now, call_id, agent_id, verdict.reason)
            log.info(
                "routing.agent_paused",
                agent=agent_id,
                reason=verdict.reason,
                failure=reason,
                call=call_id,
            )
            await self.presence.announce(agent_id, "paused", now, reason=verdict.reason)
            if self.offer_pause > 0:  # back to available by itself, unless paused anew since
                asyncio.get_running_loop().call_later(
                    self.offer_pause,
                    lambda: self.spawn(
                        background.resume_after_offer(self, agent_id, verdict.reason, now)
                    ),
                )
        w = self.offered.pop(call_id, None)
        if w is not None and back:
            self.waiting[call_id] = w
            await self.emit(
                "requeued", call_id, queue=w.queue, agent_id=agent_id, reason=verdict.reason
            )
            await self.match_call(call_id)

    async def _requeue(
        self, now: float, call_id: str, agent_id: str, reason: str, *box: Any
    ) -> tuple[bool, str]:
        """The failed offer's call back to the front; (requeued, the agent's new state or
        "" when the agent was no longer on that call)."""
        args = [*box[:1], *(repr(x) for x in box[1:])]
        back, state = await self.store.call_op("requeue", now, call_id, agent_id, reason, *args)
        return bool(int(back)), text(state)

    async def call_connected(self, call_id: str, agent_id: str) -> None:
        w = self.offered.pop(call_id, None) or self.waiting.pop(call_id, None)
        name = w.queue if w else (await self.store.call(call_id)).get("queue", "")
        queue = self.config.queues.get(name)
        now = self.clock()
        await self.store.call_op(
            "connected", now, call_id, agent_id, day(now), repr(queue.sl_seconds if queue else 0.0)
        )
        await self.presence.announce(agent_id, "on_call", self.clock(), call_id=call_id)

    async def call_ended(self, call_id: str, agent_id: str) -> None:
        self.offered.pop(call_id, None)
        now = self.clock()
        state = await self.store.call_op(
            "ended", now, call_id, agent_id, repr(now + self.wrapup_seconds)
        )
        state = text(state) if state else None
        if state == "wrapup":
            await self.presence.announce(agent_id, "wrapup", now)
            asyncio.get_running_loop().call_later(
                self.wrapup_seconds, lambda: self.spawn(background.wrapup_done(self, agent_id))
            )
        elif state == "available":
            await self._available(agent_id)
        elif state:
            await self.presence.announce(agent_id, state, now)

    # -- presence (HTTP API, AMI/ARI adapters) ------------------------------------------
    async def set_device_state(self, agent_id: str, registered: bool) -> None:
        if agent_id in self.config.agents:
            await self.presence.set_device_state(agent_id, registered, self.instance)

    # -- matching ------------------------------------------------------------------------
    async def _put(self, w: wt.Waiting, now: float) -> str:
        r = w.request
        state, w.queued_at = await self.store.enqueue(
            now,
            r.call_id,
            w.base,
            self.instance,
            w.queue,
            r.topic or "",
            caller_dict(r.caller),
            r.arrived_at,
        )
        return state
