"""The dialer service: campaign control, one ``CampaignRunner`` per running campaign, and
the handlers the composition root (``engine/app.py``) registers with the call service:

- ARI: channels whose first Stasis argument is one of ``STASIS_ARGS``: ``dialer``
  (answered, before AMD), ``outbound`` (after AMD) or ``dialer-agent`` (an agent's phone
  answered) come to ``route`` (``CallService.stasis_apps``); their other events
  (``Dial``, ``ChannelDestroyed``, ``PlaybackFinished``) to ``tap``
  (``CallService.taps``). Each goes to its campaign's mailbox.
- Routing: an agent offer for one of our lines comes to ``claim`` (``offer_claims``);
  routing's storage is reached only through the ``AgentReservations`` handed in.
- Redis: an agent becoming available (routing's wake channel) makes every runner look
  at pacing again at once instead of at its next tick.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import time
from collections.abc import Callable
from typing import Any

import orjson

from engine.ari.client import AriClient
from engine.calls import speech_actions
from engine.calls.events import CallEvent, HearTalk, TalkOver
from engine.calls.ports import Caller, Offer
from engine.calls.service import CallService
from engine.calls.state import InboundCall
from engine.dialer.campaigns import dial_store, store
from engine.dialer.campaigns.adopt import Adoptions, Talk
from engine.dialer.campaigns.claims import DialClaims
from engine.dialer.campaigns.deps import Deps, DialerSettings
from engine.dialer.campaigns.reserve import AgentReservations, eligible_agents
from engine.dialer.campaigns.runner import CampaignRunner
from engine.dialer.campaigns.status import campaign_status
from engine.dialer.core.campaign import takes_status
from engine.dialer.core.line import Line
from engine.dialer.core.policy import CampaignPolicy, parse
from engine.errors import Conflict, InvalidRequest
from engine.logs import get_logger
from engine.routing.service import RoutingService
from engine.routing.store import text
from engine.settings import Settings
from engine.store.database import Database

log = get_logger(__name__)
CAMPAIGN_WATCH = 5.0  # seconds between looks for campaigns no live engine runs
STASIS_ARGS = ("dialer", "outbound", "dialer-agent")
TAPPED = ("Dial", "ChannelDestroyed", "PlaybackFinished")


def media(setting: str) -> tuple[str, ...]:
    """``sound:a,sound:b`` (or ``&``-separated) -> ARI media URIs."""
    return tuple(m.strip() for m in setting.replace("&", ",").split(",") if m.strip())


class DialerService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        ari: AriClient,
        router: RoutingService,
        calls: CallService,
        reservations: AgentReservations,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings, self.db, self.router, self.calls, self.clock = (
            settings,
            db,
            router,
            calls,
            clock,
        )
        self.reservations = reservations
        dsettings = DialerSettings(
            app=settings.ari_app,
            trunk=settings.dialer_trunk,
            identification=media(settings.dialer_identification),
            machine_message=media(settings.dialer_machine_message),
            max_lines=settings.dialer_max_lines,
            agent_ring_timeout=settings.agent_ring_timeout,
            wrapup=settings.wrapup_seconds,
            instance=router.instance,
            cancel_after=settings.dialer_cancel_after or None,
        )
        self.deps = Deps(
            db,
            ari,
            router,
            reservations,
            dsettings,
            self._notify,
            self._new_call,
            self._track,
            self.by_channel_pop,
            lambda: sum(len(r.lines) for r in self.runners.values()),
            self._peer_lines,
            lambda: calls.speech_plan,
            lambda: calls.listening,
            DialClaims(router.store.redis, router.store.keys.prefix, router.instance),
        )
        self.defaults = CampaignPolicy(
            abandon_limit=settings.dialer_abandon_limit,
            abandon_window=settings.dialer_abandon_window,
        )
        self.runners: dict[int, CampaignRunner] = {}
        self.by_channel: dict[str, CampaignRunner] = {}
        self.adoptions = Adoptions(db, ari, router, clock, self._hear_adopted, self._unhear_adopted)
        self.adopted_calls: dict[str, InboundCall] = {}  # adopted talks being heard
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    # -- wiring -----------------------------------------------------------------------
    async def _notify(self, call: InboundCall) -> None:
        for observer in self.calls.observers:
            try:
                await observer(call)
            except Exception:
                log.exception("dialer.observer_failed", call=call.call_id)

    def _new_call(self, call_id: str) -> InboundCall:
        return InboundCall(call_id, self.calls.ivr(), self.settings.agent_ring_timeout)

    def _peer_lines(self, campaign_id: int, agents: set[str]) -> list[Line]:
        """The pacer lines (ringing or in AMD) of every other campaign whose agents overlap
        ``agents``: a person they reach takes one of those agents too."""
        out: list[Line] = []
        for cid, runner in self.runners.items():
            if cid == campaign_id or not agents & set(runner.agents()):
                continue
            out.extend(runner.pacer_lines())
        return out

    async def _hear_adopted(self, talk: Talk) -> None:
        """A talk an earlier engine left: heard from now on, like any connected call."""
        call = InboundCall.restore_connected(
            talk.channel,
            self.calls.ivr(),
            talk.number,
            talk.agent_channel,
            talk.agent_id,
            self.clock(),
        )
        language = await self.deps.db.run(dial_store.customer_language, talk.customer_id)
        call.caller = Caller(talk.customer_id, language=language) if talk.customer_id else None
        call.record["language"] = language  # heard in the customer's language
        call.speech = self.calls.speech_plan
        self.adopted_calls[talk.channel] = call
        self._spawn(self._hear(call, HearTalk()))  # not within the resync: the taps wait
        # for events the resync holds back

    async def _unhear_adopted(self, talk: Talk) -> None:
        call = self.adopted_calls.pop(talk.channel, None)
        if call is not None:
            await self._hear(call, TalkOver())
            call.status = "ended"

    async def _hear(self, call: InboundCall, event: CallEvent) -> None:
        await speech_actions.hear(
            self.calls.listening,
            call,
            event,
            self.clock(),
            lambda ev: self._spawn(self._hear(call, ev)),
        )

    def _track(self, channel: str, runner: Any) -> None:
        self.by_channel[channel] = runner

    def by_channel_pop(self, channel: str) -> None:
        self.by_channel.pop(channel, None)

    def route(self, event: dict[str, Any]) -> None:
        """A channel entered the app with one of ``STASIS_ARGS``: to its campaign."""
        channel = (event.get("channel") or {}).get("id", "")
        args = event.get("args") or []
        key = args[1] if args[:1] == ["dialer-agent"] and len(args) > 1 else channel
        runner = self.by_channel.get(key)
        if runner is None:  # a line of an earlier life of the engine: end it
            self._spawn(self._hangup(channel))
            return
        runner.post(runner.on_event, event)

    def tap(self, event: dict[str, Any]) -> None:
        """Any ARI event: ``Dial``, ``ChannelDestroyed``, ``PlaybackFinished`` of our lines
        (and of adopted talks) go to their campaign."""
        kind = event.get("type")
        if kind not in TAPPED:
            return
        if kind == "Dial":
            channel = (event.get("peer") or {}).get("id", "")
        elif kind == "PlaybackFinished":
            channel = (event.get("playback") or {}).get("target_uri", "").split(":", 1)[-1]
        else:
            channel = (event.get("channel") or {}).get("id", "")
        if kind == "ChannelDestroyed" and channel in self.adoptions.by_channel:
            self._spawn(self.adoptions.channel_gone(channel))
            return
        runner = self.by_channel.get(channel)
        if runner is not None:
            runner.post(runner.on_event, event)

    async def claim(self, offer: Offer) -> bool:
        """An agent offer routing made: ours when it is for a line waiting for an agent."""
        runner = self.by_channel.get(offer.call_id)
        line = runner.lines.get(offer.call_id) if runner else None
        if runner is None or line is None or line.state != "seeking":
            return False
        runner.post(runner.on_offer, offer)
        return True

    async def _hangup(self, channel: str) -> None:
        with contextlib.suppress(Exception):
            await self.deps.ari.hangup(channel)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        await self._take_campaigns()
        self._spawn(self._wake_listener())
        self._spawn(self._campaign_watch())

    async def _take_campaigns(self) -> None:
        """Run the running campaigns no other live engine runs (their lease is free or
        ours): at start, and every few seconds to take over a dead engine's."""
        for campaign in await self.db.run(store.running):
            if campaign["id"] in self.runners or self._closed:
                continue
            held = await self.deps.claims.hold_campaign(campaign["id"]) if self.deps.claims else ""
            if self.deps.claims is None or held == self.deps.claims.instance:
                log.info("dialer.campaign_taken", campaign=campaign["id"])
                await self._start_runner(campaign)

    async def _campaign_watch(self) -> None:
        while not self._closed:
            await asyncio.sleep(CAMPAIGN_WATCH)
            try:
                await self._take_campaigns()
                await self._follow_store()
            except Exception:
                log.exception("dialer.campaign_watch_failed")

    async def _follow_store(self) -> None:
        """Our campaigns' status as the shared store has it (set on another engine, whose
        announcement did not reach us)."""
        for cid in list(self.runners):
            status = (await self.db.run(store.get, cid))["status"]
            await self._apply_status(cid, status, "store")

    async def _apply_status(self, campaign_id: int, status: str, source: str) -> None:
        """A status set elsewhere, for a campaign this engine runs."""
        runner = self.runners.get(campaign_id)
        if runner is None or not takes_status(runner.status, status):
            return
        log.info("dialer.campaign_control_applied", campaign=campaign_id, status=status, via=source)
        await runner.ask(runner.set_status, status)

    async def _held_elsewhere(self, campaign_id: int) -> str | None:
        """The engine running the campaign when it is not us (None: us or nobody)."""
        claims = self.deps.claims
        engine = await claims.campaign_engine(campaign_id) if claims else None
        return engine if claims is not None and engine not in (None, claims.instance) else None

    async def resync(self) -> None:
        """After every ARI connect: talks an earlier engine left (``adopt.py``), and what
        this engine's lines went through while the event socket was down (each campaign
        reconciles its lines with Asterisk's channel list in its own task)."""
        # the lines as they were before Asterisk was asked: a line dialled (or an agent leg
        # originated) while the list was on its way is not in it, and is not missing
        known = {cid: runner.line_legs() for cid, runner in self.runners.items()}
        channels = {c["id"]: c for c in await self.deps.ari.channels()}
        await self.adoptions.resync(
            lambda channel: channel in self.by_channel, channels, self._held_elsewhere
        )
        for cid, runner in self.runners.items():
            if known.get(cid):
                runner.post(runner.reconcile, channels, known[cid])

    async def stop(self) -> None:
        self._closed = True
        for runner in list(self.runners.values()):
            await runner.stop()
        self.runners.clear()
        if self._tasks:  # the wake listener notices ``_closed`` within 0.5 s
            _, pending = await asyncio.wait(set(self._tasks), timeout=1.5)
            for task in pending:
                task.cancel()

    async def _start_runner(self, campaign: dict[str, Any]) -> CampaignRunner:
        runner = CampaignRunner(self.deps, campaign, self.clock)
        self.runners[campaign["id"]] = runner
        await runner.start()
        if self._closed:  # the service stopped while this runner was starting
            await runner.stop()
            return runner
        self._spawn(self._reap(runner))
        return runner

    async def _reap(self, runner: CampaignRunner) -> None:
        await runner.finished.wait()
        await runner.stop()
        if self.runners.get(runner.id) is runner:
            del self.runners[runner.id]
        if self.deps.claims is not None and not self._closed:  # stopped or done here
            await self.deps.claims.let_go_campaign(runner.id)

    async def _wake_listener(self) -> None:
        """Freed agents (every runner looks again) and campaign controls made on other
        engines (the runner of that campaign, if it is ours, takes the new status)."""
        pubsub, channel = self.reservations.wake_subscription()
        controls = self.deps.claims.controls if self.deps.claims is not None else None
        await pubsub.subscribe(channel, *([controls] if controls else []))
        try:
            while not self._closed:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
                if not message or message.get("type") != "message":
                    continue
                if controls is not None and text(message["channel"]) == controls:
                    control = orjson.loads(message["data"])
                    await self._apply_status(int(control["campaign"]), control["status"], "redis")
                    continue
                log.debug("dialer.agent_free", agent=text(message["data"]))
                for runner in list(self.runners.values()):
                    runner.kick()
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    # -- control (HTTP API) ---------------------------------------------------------------
    async def create(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise InvalidRequest("expected a JSON object with name, kind, mode")
        for key in ("name", "kind", "mode"):
            if key not in body:
                raise InvalidRequest(f"{key} is required", field=key)
        queue = body.get("queue") or self.settings.dialer_queue
        if queue not in self.router.config.queues:
            raise InvalidRequest(
                f"queue {queue!r} is not a routing queue",
                field="queue",
                queues=sorted(self.router.config.queues),
            )
        policy = parse(body.get("policy"), self.defaults)
        return await self.db.run(
            store.create, body["name"], body["kind"], body["mode"], queue, policy, self.clock()
        )

    async def control(self, campaign_id: int, action: str) -> dict[str, Any]:
        """start | pause | resume | stop, from any engine: the new status goes to the
        shared store; a campaign another engine runs is told over Redis and applied there
        (``engine`` in the answer names it)."""
        runner = self.runners.get(campaign_id)
        engine = None if runner is not None else await self._held_elsewhere(campaign_id)
        campaign = await self.db.run(store.transition, campaign_id, action, self.clock())
        if runner is not None:
            await runner.ask(runner.set_status, campaign["status"])
        elif engine is not None and self.deps.claims is not None:
            heard = await self.deps.claims.announce_status(campaign_id, campaign["status"])
            log.info(
                "dialer.campaign_control_forwarded",
                campaign=campaign_id,
                action=action,
                engine=engine,
                heard=heard,
            )
            return {**campaign, "engine": engine}
        elif campaign["status"] == "running":
            if self.deps.claims is not None:
                await self.deps.claims.hold_campaign(campaign_id)
            await self._start_runner(campaign)
        return campaign

    async def import_csv(self, campaign_id: int, text_body: str) -> dict[str, Any]:
        result = await self.db.run(store.import_csv, campaign_id, text_body, self.clock())
        runner = self.runners.get(campaign_id)
        if runner is not None:
            runner.kick()
        return result

    async def add_dnc(self, numbers: list[str], reason: str) -> int:
        return await self.db.run(store.add_dnc, numbers, reason, self.clock())

    async def list(self) -> list[dict[str, Any]]:
        rows = await self.db.run(store.all_campaigns)
        for row in rows:
            runner = self.runners.get(row["id"])
            row["lines"] = len(runner.lines) if runner else 0
        return rows

    async def status(self, campaign_id: int) -> dict[str, Any]:
        campaign = await self.db.run(store.get, campaign_id)
        return await campaign_status(self, campaign, self.runners.get(campaign_id))

    def runner(self, campaign_id: int) -> CampaignRunner:
        runner = self.runners.get(campaign_id)
        if runner is None:
            raise Conflict(f"campaign {campaign_id} is not running", campaign_id=campaign_id)
        return runner

    def eligible(self, queue: str) -> builtins.list[str]:
        return eligible_agents(self.router.config, queue)
