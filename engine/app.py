"""The composition root: builds every adapter and service once and starts the tasks.

Nothing else in the engine reaches for globals: services get what they need here.
Start-up order: SQLite -> Redis -> routing -> HTTP API -> AMI -> ARI event stream
(the stream resyncs calls on every connect). Shutdown reverses it, with bounded waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from engine import loopwatch, redispool, timeslice
from engine.ami.client import AmiClient
from engine.ami.devices import DeviceWatcher
from engine.api.http import build_app, json_response
from engine.ari.client import AriClient
from engine.ari.event_stream import AriEventStream
from engine.calls import http as calls_http
from engine.calls import store as call_store
from engine.calls.desk import AgentDesk
from engine.calls.live import LiveCalls
from engine.calls.ports import CallerLookup
from engine.calls.service import CallService
from engine.calls.state import lost_record
from engine.dialer.campaigns import http as dialer_http
from engine.dialer.campaigns.reserve import AgentReservations
from engine.dialer.campaigns.service import STASIS_ARGS as DIALER_STASIS_ARGS
from engine.dialer.campaigns.service import DialerService
from engine.ivr.menu import IvrConfig
from engine.logs import get_logger
from engine.phones import service as phone_service
from engine.phones.service import PhoneConfig
from engine.profiles.ingest import http as ingest_http
from engine.profiles.ingest.lookup import StoreLookup
from engine.profiles.ingest.service import ProfileStore, per_event
from engine.profiles.retention import http as retention_http
from engine.profiles.retention.service import Retention
from engine.profiles.risk.service import RiskService
from engine.profiles.ruleset import LiveRules
from engine.routing import http as routing_http
from engine.routing import recovery
from engine.routing.metrics import queue_metrics
from engine.routing.service import RoutingService
from engine.routing.tiers import TieredLookup
from engine.schemas import database
from engine.settings import Settings
from engine.skills.live import LiveSkills
from engine.softphone import credentials as softphone_credentials
from engine.softphone import http as softphone_http
from engine.speech import http as speech_http
from engine.speech import store as speech_store
from engine.speech.live import LiveSpeech
from engine.users import http as users_http
from engine.users.service import Users
from engine.web import http as web_http
from engine.web.monitor import STASIS_ARG as MONITOR_STASIS_ARG
from engine.web.monitor import Monitor
from engine.web.recorder import WallboardHistory

log = get_logger(__name__)
STARTUP_RETRIES = 30
STOP_STEP_TIMEOUT = 10.0


async def _retry(what: str, attempt: Any, retries: int = STARTUP_RETRIES) -> Any:
    delay = 0.2
    for n in range(1, retries + 1):
        try:
            return await attempt()
        except Exception as exc:
            if n == retries:
                raise
            log.warning("startup.retry", what=what, attempt=n, error=str(exc))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
    return None


class Engine:
    def __init__(self, settings: Settings, lookup: CallerLookup | None = None) -> None:
        settings.require("ari_password", "ami_secret", "api_token")
        self.settings = settings
        self.lateness = loopwatch.Lateness()  # the event loop's wake-up delays (/status)
        self.gc_pauses = loopwatch.GcPauses()  # and the garbage collector's share of them
        self.loop_slice_ms: float | None = None  # set at start (timeslice.set_slice)
        # the supervisor's rule files, every problem at once: one loader, one reload
        # path (``reload_skills``)
        self.skills = LiveSkills(settings.skills_path)
        rules = self.skills.load()
        self.db = database(settings)  # SQLite, or PostgreSQL with database_url
        self.records = call_store.CallRecords(self.db)
        # a blocking pool: a busy engine waits (bounded) for a connection, never fails a call
        self.redis = redispool.connect(
            settings.redis_url, settings.redis_max_connections, settings.redis_pool_timeout
        )
        self.retention = Retention(settings, self.db, self.redis)
        self.profiles = ProfileStore(self.db)
        # churn risk: every stored batch re-scores its customers at once (then care)
        self.risk = RiskService(settings, self.db, self.redis, self.retention.arm)
        self.profiles.listeners.append(self.risk.on_batch)
        self.profiles.listeners.append(per_event(self.retention.on_event))
        # the profile store answers caller IDs unless the caller brought a lookup
        self.store_lookup: StoreLookup | None = None
        if lookup is None:
            self.store_lookup = StoreLookup(settings.database_url or settings.database_path)
            lookup = self.store_lookup
        self.ari = AriClient(
            settings.ari_url,
            settings.ari_user,
            settings.ari_password,
            max_connections=settings.ari_max_connections,
            pool_timeout=settings.ari_pool_timeout,
        )
        self.ami = AmiClient(
            settings.ami_host, settings.ami_port, settings.ami_user, settings.ami_secret
        )
        self._ivr: IvrConfig = rules["ivr"]
        self.router = RoutingService(
            self.redis,
            rules["routing"],
            prefix=settings.redis_prefix,
            ring_timeout=settings.agent_ring_timeout,
            wrapup_seconds=settings.wrapup_seconds,
            skills_dir=settings.skills_path,
            # one engine per instance_id: a second live one is refused at start
            instance=settings.instance_id or socket.gethostname(),
            watch=False,
            offer_pause=settings.offer_pause_seconds,
            offer_exclude=settings.offer_exclude_seconds,
        )
        self.calls = CallService(
            self.ari,
            settings.ari_app,
            lambda: self._ivr,
            self.router,
            TieredLookup(
                self.retention.valued(
                    lookup, self.store_lookup.read if self.store_lookup else None
                ),
                lambda: self.router.config,
            ),
            self.records,
            ring_timeout=settings.agent_ring_timeout,
            hold_music=settings.hold_music,
        )
        self.devices = DeviceWatcher(
            self.ami,
            lambda: {a.id: a.endpoint for a in self.router.config.agents.values()},
            self.router.set_device_state,
        )
        self.live = LiveCalls(self.redis, settings.redis_prefix, engine=self.router.instance)
        self.desk = AgentDesk(self.redis, settings.redis_prefix)
        self.calls.observers += [self.live, self.desk, self.retention.screens]
        # live speech (speech IVR, transcripts, emotion); models load here: a clear error
        self.transcripts = speech_store.TranscriptStore(self.db)
        self.speech = (
            LiveSpeech(settings, self.ari, self.redis, self.transcripts, self.live)
            if settings.speech_enabled
            else None
        )
        if self.speech is not None:
            self.speech.attach(self.calls)
            self.speech.calls.on_customer_event = self._customer_event
            self.speech.use_listening(rules["listening"])
        # the outbound dialer: campaigns, ARI lines with AMD, agents shared through routing
        self.dialer = DialerService(
            settings,
            self.db,
            self.ari,
            self.router,
            self.calls,
            AgentReservations(self.router.store),
        )
        # carrier trunks (skills/trunks.yaml): rendered and reloaded into Asterisk; the
        # dialer's dial string when dialer_trunk names one
        self.phones = PhoneConfig(settings, self.ami.action, self._use_dial_string)
        self._trunks = rules["trunks"]
        self._use_dial_string(*phone_service.dial_string(settings.dialer_trunk, self._trunks))
        for arg in DIALER_STASIS_ARGS:  # its lines' and agent legs' channels
            self.calls.stasis_apps[arg] = self.dialer.route
        self.calls.taps.append(self.dialer.tap)
        self.calls.offer_claims.append(self.dialer.claim)
        # logins, sessions, client tokens; the supervisor's listen/whisper/barge legs
        self.users = Users(self.db, settings.api_token, settings.session_hours * 3600)
        self.monitor = Monitor(self.ari, settings.ari_app)
        self.wallboard_history = WallboardHistory(
            self.redis, settings.redis_prefix, self._wallboard_figures
        )
        self.calls.stasis_apps[MONITOR_STASIS_ARG] = self.monitor.on_event
        self.calls.taps.append(self.monitor.tap)
        self.events = AriEventStream(
            settings.ari_url,
            settings.ari_user,
            settings.ari_password,
            settings.ari_app,
            self.calls.on_event,
            self._resync,
        )
        self.http = self._build_http()
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._stopped = False
        self._recovered = False
        self._bind_skills()

    def _build_http(self) -> web.Application:
        app = build_app(
            self.settings.api_token,
            [
                calls_http.routes,
                routing_http.routes,
                retention_http.routes,
                ingest_http.routes,
                dialer_http.routes,
                speech_http.routes,
                users_http.routes,
                web_http.routes,
                softphone_http.routes,
            ],
            [web_http.setup],
            auth=users_http.auth_middleware,
        )
        app[users_http.USERS] = self.users
        app[users_http.SECURE_COOKIE] = self.settings.session_cookie_secure
        app[web_http.WEB] = web_http.WebContext(
            self.redis,
            self.settings.redis_prefix,
            self.db,
            self.risk.rescore,
            self.settings.wrapup_seconds,
            self.monitor,
            self.skills.status,
            self.status,
            self.wallboard_history,
        )
        app[softphone_http.SOFTPHONE] = softphone_http.SoftphoneConfig(
            self.settings.softphone_secret,
            softphone_credentials.ws_url(
                self.settings.softphone_ws_url, self.settings.ari_host, self.settings.ari_port
            ),
        )
        app[routing_http.ROUTING] = self.router
        app[calls_http.CALL_SERVICE] = self.calls
        app[calls_http.CALL_RECORDS] = self.records
        app[calls_http.LIVE_CALLS] = self.live
        app[calls_http.AGENT_DESK] = self.desk
        app[retention_http.RETENTION] = self.retention
        app[ingest_http.PROFILE_STORE] = self.profiles
        app[dialer_http.DIALER] = self.dialer
        app[speech_http.TRANSCRIPTS] = self.transcripts

        async def status(_: web.Request) -> web.Response:
            return json_response(await self.status())

        app.router.add_get("/status", status)
        return app

    async def _wallboard_figures(self, now: float) -> tuple[list[Any], list[Any]]:
        queues = await queue_metrics(self.router.store, self.router.config, now)
        return queues, await web_http.campaigns(self.dialer)

    async def status(self) -> dict[str, Any]:
        try:
            redis_ok = bool(await self.redis.ping())
        except Exception:
            redis_ok = False
        return {
            "ari": {
                "connected": self.events.connected.is_set(),
                "connects": self.events.connects,
                "requests": dict(self.ari.requests),
            },
            "ami": {"logged_in": self.ami.logged_in.is_set()},
            "redis": {"ok": redis_ok},
            "skills": self.skills.status(),
            "calls": {"live": len(self.calls.runners)},
            # what must not grow over a long run (benchmarks/speech_soak.py reads it)
            "process": {
                "tasks": len(asyncio.all_tasks()),
                "threads": threading.active_count(),
                "loop_late_ms": self.lateness.snapshot(),
                "gc": self.gc_pauses.snapshot(),
                "loop_slice_ms": self.loop_slice_ms,  # the loop thread's, as the kernel holds it
            },
            "speech": self.speech.stats() if self.speech is not None else None,
            "dialer": {
                "campaigns_running": len(self.dialer.runners),
                "lines": sum(len(r.lines) for r in self.dialer.runners.values()),
            },
        }

    def _bind_skills(self) -> None:
        """Who takes each reloaded rule file (a refused edit leaves its domain as it was)."""
        self.skills.bind("routing", self._use_routing)
        self.skills.bind("ivr", self._use_ivr)
        self.skills.bind("trunks", self.phones.use_trunks)
        if self.speech is not None:
            self.skills.bind("speech-menus", self.speech.use_menus)
            self.skills.bind("listening", self.speech.use_listening)
        for unit, live in (
            ("offers", self.retention.offer_rules),
            ("care-rules", self.retention.care_rules),
            ("next-best-action", self.retention.nba_rules),
        ):
            self.skills.bind(unit, _use_rules(live), _refuse_rules(live))
        self.router.reloader = self.reload_skills
        self.retention.reloader = self.reload_skills

    async def _use_routing(self, config: Any) -> None:
        before = self.router.config.version
        await self.router.use(config)
        if self.router.config.version != before and self.ami.logged_in.is_set():
            await self.devices.sync()  # a new or moved phone: its registration, now

    def _use_dial_string(self, dial: str, caller_id: str) -> None:
        self.dialer.deps.settings.trunk = dial
        self.dialer.deps.settings.caller_id = caller_id

    def _use_ivr(self, config: IvrConfig) -> None:
        self._ivr = config
        log.warning("ivr.reloaded")

    async def reload_skills(self) -> bool:
        """The one reload path (file watcher, SIGHUP, ``POST /routing/reload``): every
        rule file re-read; a broken edit is refused with file:line and the last good
        config stays. The churn-risk tags and model are re-read with it."""
        ok = await self.skills.reload()
        self.risk.reload()
        self.router.reload_errors = self.skills.errors
        return ok

    async def start(self) -> None:
        # PostgreSQL may still be starting; a SQLite file that cannot open fails at once
        await _retry("database", self.db.open, retries=1 if self.db.sqlite else STARTUP_RETRIES)
        await _retry("redis", self.redis.ping)
        if self.store_lookup is not None:
            await self.store_lookup.warm()
        await self.router.start()
        self.live.start()
        self._runner = web.AppRunner(self.http, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.settings.http_host, self.settings.http_port).start()
        await _retry("asterisk-ari", lambda: self.ari.call("asterisk_info"))
        await _retry("asterisk-ami", self.ami.connect, retries=5)
        await self.devices.sync()
        await self.phones.use_trunks(self._trunks)  # an edit made while the engine was down
        if self.speech is not None:
            await self.speech.start()
        self._tasks.append(asyncio.create_task(self.events.run(), name="ari-events"))
        self._tasks.append(asyncio.create_task(self._watch_skills(), name="skills-watch"))
        self._tasks.append(asyncio.create_task(self.retention.care.run(), name="care"))
        self._tasks.append(asyncio.create_task(self.risk.run(), name="risk"))
        self._tasks.append(asyncio.create_task(loopwatch.watch(self.lateness), name="loop-watch"))
        history = self.wallboard_history.run()
        self._tasks.append(asyncio.create_task(history, name="wallboard-history"))
        await asyncio.wait_for(self.events.connected.wait(), 30)
        await self.dialer.start()
        # what start-up built lives as long as the engine: out of the collector's way, so a
        # full collection under load walks only what calls allocate (it stopped the loop
        # for 105-180 ms in benchmarks/inbound_calls.py at 200 calls, both speech modes)
        gc.collect()
        gc.freeze()
        self.gc_pauses.install()  # pauses while serving (not start-up's own collection)
        self.loop_slice_ms = timeslice.set_slice(self.settings.loop_slice_ms)
        log.info("engine.started", http=f"{self.settings.http_host}:{self.settings.http_port}")

    async def stop(self) -> None:
        """Stop taking events, finish pending writes, close adapters. Calls in progress
        stay up in Asterisk; the next engine adopts them. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self.gc_pauses.remove()
        steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("ari-events", self.events.stop),
            ("dialer", self.dialer.stop),
            ("tasks", self._cancel_tasks),
            ("call-records", self.calls.drain),
            ("calls", self._cancel_runners),
            ("speech", self._stop_speech),
            ("live-calls", self.live.stop),
            ("routing", self.router.stop),
            ("care", self.retention.care.close),
            ("risk", self.risk.close),
            ("ami", self._close_ami),
            ("http", self._close_http),
            ("ari", self.ari.close),
            ("redis", self.redis.aclose),
            ("lookup", self._close_lookup),
            ("store", self.db.close),
        ]
        for name, step in steps:
            # ``asyncio.wait``, not ``wait_for``: a step that swallows its cancellation
            # cannot hold the stop past its bound (it is left cancelled, not awaited)
            task = asyncio.ensure_future(step())
            done, _ = await asyncio.wait({task}, timeout=STOP_STEP_TIMEOUT)
            if not done:
                task.cancel()
                log.error("engine.stop_step_timeout", step=name, seconds=STOP_STEP_TIMEOUT)
            elif not task.cancelled() and task.exception() is not None:
                log.warning("engine.stop_step_failed", step=name, error=str(task.exception()))

    async def _resync(self) -> None:
        """After every ARI connect: calls first, dialer talks an earlier engine left, then
        speech taps no call owns."""
        await self.calls.resync()
        await self.dialer.resync()
        if not self._recovered:
            self._recovered = True
            await self._recover()
        if self.speech is not None:
            await self.speech.resync()

    async def _recover(self) -> None:
        """Once, after the first ARI connect: what an earlier life of this engine (killed,
        crashed) left. Adopted talks have their agents again; agents still ringing or
        talking for calls Asterisk no longer has are freed; live calls it no longer runs
        are dropped and their records closed (``engine-lost``)."""
        for call_id, runner in list(self.calls.runners.items()):
            if "restored_at" in runner.call.record and runner.call.offer is not None:
                await recovery.adopt(self.router, call_id, runner.call.offer.agent_id)
        for channel, talk in list(self.dialer.adoptions.by_channel.items()):
            if channel == talk.channel and talk.agent_id:
                await recovery.adopt(self.router, channel, talk.agent_id)
        channels = {c["id"] for c in await self.ari.channels()}
        freed = await recovery.release_lost(self.router, channels)
        closed = 0
        for snap in await self.live.lost(set(self.calls.runners)):
            record = lost_record(await self.records.get(snap["id"]), snap, time.time())
            if record is not None:
                await self.records.save(record)
                closed += 1
        if freed or closed:
            log.warning("engine.recovered", agents_freed=freed, records_closed=closed)

    async def _customer_event(self, envelope: dict[str, Any]) -> None:
        """Speech's profile records (call.emotion, call.transcript) into the store."""
        result = await self.profiles.ingest([envelope])
        if result.errors:
            log.warning(
                "speech.profile_event_refused",
                event_id=envelope.get("id"),
                errors=[e.as_dict() for e in result.errors],
            )

    async def _stop_speech(self) -> None:
        if self.speech is not None:
            await self.speech.stop()

    async def _cancel_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _cancel_runners(self) -> None:
        for runner in list(self.calls.runners.values()):
            runner.task.cancel()

    async def _close_ami(self) -> None:
        self.ami.close()

    async def _close_lookup(self) -> None:
        if self.store_lookup is not None:
            await self.store_lookup.close()

    async def _close_http(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _watch_skills(self) -> None:
        """Reload the supervisor YAML when a file in the skills folder changes."""
        from watchfiles import awatch

        async for _changes in awatch(self.settings.skills_path, debounce=300, recursive=False):
            await self.reload_skills()

    def reload(self) -> None:
        """SIGHUP: ``reload_skills`` in the background."""
        self._tasks = [t for t in self._tasks if not t.done()]
        self._tasks.append(asyncio.create_task(self.reload_skills(), name="skills-reload"))

    async def run_forever(self) -> None:
        await self.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        await stop.wait()
        await self.stop()


def _use_rules(live: LiveRules[Any]) -> Callable[[Any], None]:
    def use(rules: Any) -> None:
        live.current, live.errors = rules, []

    return use


def _refuse_rules(live: LiveRules[Any]) -> Callable[[list[str]], None]:
    def refuse(issues: list[str]) -> None:
        live.errors = issues

    return refuse
