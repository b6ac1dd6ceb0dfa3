"""Live speech for calls, assembled once by the composition root.

    speech = LiveSpeech(settings, ari, redis, store, live_calls)  # loads models: may raise
    speech.attach(call_service)        # plan, listening adapter, Stasis handlers
    await speech.start(); ...; await speech.resync()  # after each ARI connect
    await speech.stop()

On SIGHUP (`reload`) speech-menus.yaml is read again; a broken edit is refused.
The listening budget (``admission.py``) is ``speech_max_legs``, or measured in ``start``
(``calibrate.py``, off the event loop); its policy is skills/listening.yaml
(``use_listening``, on the skills reload path).
It holds the speech service (models, menus, workers), the RTP media server, the ARI
taps, the live transcript feed and the ``CallSpeech`` adapter, and tells the call path
what speech can do (``SpeechPlan``: languages with a model in ``speech_models`` order,
menus with a grammar, whether connected calls are transcribed).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import redis.asyncio as aioredis

from engine.ari.client import AriClient
from engine.calls.ports import SpeechPlan
from engine.calls.service import CallService
from engine.logs import get_logger
from engine.media.server import MediaServer
from engine.settings import Settings
from engine.speech import calibrate, prompts
from engine.speech import menus as menus_mod
from engine.speech.admission import Admission, Policy
from engine.speech.calls import CallSpeech, LiveHook
from engine.speech.feed import TranscriptFeed
from engine.speech.governor import Governor
from engine.speech.pool import trim_heap
from engine.speech.remote import RemoteSpeech
from engine.speech.service import SpeechService
from engine.speech.store import TranscriptStore
from engine.speech.taps import AriTaps

log = get_logger(__name__)
MEDIA_ARG = "media"  # first Stasis argument of snoop channels
GOVERN_EVERY = 1.0  # seconds between two looks at the recognizers' lag


class LiveSpeech:
    def __init__(
        self,
        settings: Settings,
        ari: AriClient,
        redis: aioredis.Redis,
        store: TranscriptStore,
        live: LiveHook | None = None,
    ) -> None:
        self.settings = settings
        # recognition in its own process (default), or worker threads in this one
        self.service: SpeechService | RemoteSpeech = (
            RemoteSpeech.from_settings(settings)
            if settings.speech_process
            else SpeechService.from_settings(settings)
        )
        self.media = MediaServer.from_settings(settings)
        # taps talk to ARI over connections of their own (a quarter of the call path's):
        # a burst of snoops and bridges queues behind itself, never ahead of call control
        self.tap_ari = AriClient(
            ari.base_url,
            ari.user,
            ari.password,
            max_connections=max(2, settings.ari_max_connections // 4),
            pool_timeout=settings.ari_pool_timeout,
        )
        self.taps = AriTaps(self.tap_ari, settings.ari_app)
        self.feed = TranscriptFeed(redis, settings.redis_prefix, store)
        # until measured (start), as many legs as workers: no call comes before start
        self.admission = Admission(settings.speech_max_legs or self.service.pool.workers)
        # the budget follows the recognizers' lag, under the calibrated/configured ceiling
        self.governor = Governor(ceiling=self.admission.budget)
        self._governing: asyncio.Task[None] | None = None
        self.budget_source = "configured" if settings.speech_max_legs else "calibrating"
        self.calibration: dict[str, Any] | None = None
        self.calls = CallSpeech(
            self.service, self.media, self.taps, self.feed, live, self.admission
        )
        self.plan = self._plan()
        self._calls: CallService | None = None

    def _plan(self) -> SpeechPlan:
        languages = tuple(
            lang for lang in self.settings.speech_model_paths if lang in self.service.languages
        )
        return SpeechPlan(
            languages,
            frozenset(k for k in self.service.menus.menus if k[0] in languages),
            transcribe=self.settings.transcribe_calls,
            confirmations=prompts.confirmations(self.service.menus),
        )

    def reload(self) -> None:
        """Re-read speech-menus.yaml for new calls; a broken file is refused, the old stays."""
        path = self.settings.skills_path / "speech-menus.yaml"
        try:
            menus = menus_mod.load(path) if path.exists() else menus_mod.SpeechMenus({})
        except (menus_mod.MenuError, OSError) as exc:
            log.error("speech.menus_reload_refused", error=str(exc))
            return
        self.use_menus(menus)

    def use_menus(self, menus: menus_mod.SpeechMenus) -> None:
        """New speech menus for new calls (the engine's reload path hands them in)."""
        self.service.menus = menus
        self.plan = self._plan()
        if self._calls is not None:
            self._calls.speech_plan = self.plan

    def use_listening(self, policy: Policy) -> None:
        """The listening policy (skills/listening.yaml) for every leg, waiting ones too."""
        self.calls.act(self.admission.use(policy, time.time()))

    def attach(self, calls: CallService) -> None:
        self._calls = calls
        calls.speech_plan = self.plan
        calls.listening = self.calls
        calls.stasis_apps[MEDIA_ARG] = self.taps.on_stasis_start
        calls.stasis_apps[""] = self.taps.on_stasis_start  # externalMedia: no arguments

    async def start(self) -> None:
        calibrating = not self.settings.speech_max_legs
        if isinstance(self.service, RemoteSpeech):  # the process calibrates as it starts
            await self.service.start(calibrate=calibrating)
            if calibrating and self.service.pool.calibration is not None:
                self._use_calibration(*self.service.pool.calibration)
        else:
            await self.service.start()
            await asyncio.get_running_loop().run_in_executor(None, self.service.warm)
            if calibrating:
                await self._calibrate()
        self.feed.start()
        self._governing = asyncio.create_task(self._govern(), name="speech-budget")
        log.info(
            "speech.budget",
            legs=self.admission.budget,
            source=self.budget_source,
            workers=self.service.pool.workers,
            **(self.calibration or {}),
        )

    async def _calibrate(self) -> None:
        """Decode a few seconds of speech with the first language's model on one thread
        (off the loop): the legs the workers hear in real time, with a safety margin."""
        lang = self.service.languages[0]
        loop = asyncio.get_running_loop()
        self._use_calibration(*await loop.run_in_executor(None, self._measure, lang))

    def _use_calibration(self, audio_s: float, cpu_s: float) -> None:
        workers = self.service.pool.workers
        size = calibrate.budget(audio_s, cpu_s, workers)
        self.calibration = {
            "audio_seconds": round(audio_s, 2),
            "cpu_seconds": round(cpu_s, 3),
            "real_time_factor": round(cpu_s / audio_s, 3),
            "margin": calibrate.MARGIN,
        }
        self.budget_source = "calibrated"
        self.governor.rebase(size)
        self.calls.act(self.admission.resize(size, time.time()))

    async def _govern(self) -> None:
        """Every second: the recognizers' lag sets a calibrated budget
        (``engine.speech.governor``); a configured one (``speech_max_legs``) stays as set."""
        loop = asyncio.get_running_loop()
        while not self.settings.speech_max_legs:
            await asyncio.sleep(GOVERN_EVERY)
            lag = self.service.pool.lag
            size = self.governor.step(lag, loop.time())
            if size is not None:
                log.info(
                    "speech.budget_adapted",
                    legs=size,
                    ceiling=self.governor.ceiling,
                    lag=round(lag, 2),
                )
                self.calls.act(self.admission.resize(size, time.time()))

    def _measure(self, lang: str) -> tuple[float, float]:
        """(audio seconds, CPU seconds) of the calibration, on the calling thread."""
        pcm = calibrate.sample_audio(lang=lang)
        try:
            return calibrate.measure(self.service.models.get(lang), pcm, lang)  # (threads)
        finally:
            trim_heap()  # the calibration's decoder is gone: its heap goes back to the OS

    async def resync(self) -> None:
        await self.taps.sweep()

    async def stop(self) -> None:
        if self._governing is not None:
            self._governing.cancel()
        await self.calls.close()
        left = await self.taps.close_all()  # none of this engine's taps outlives it
        if left:
            log.warning("speech.taps_closed_at_stop", taps=left)
        await self.tap_ari.close()
        await self.media.close()
        await self.service.stop()
        await self.feed.stop()

    def stats(self) -> dict[str, Any]:
        return {
            "legs": len(self.calls.legs),
            "budget": {
                **self.admission.snapshot(time.time()),
                "source": self.budget_source,
                "ceiling": self.governor.ceiling,
                "shrunk": self.governor.shrunk,
                "calibration": self.calibration,
            },
            "ports": len(self.media.ports_in_use),
            "published": self.feed.published,
            "stored": self.feed.stored,
            "recognition": self.service.pool.stats(),
            **({"menu_recognition": m} if (m := self._menu_stats()) is not None else {}),
            "menu_decisions": self.calls.decision_stats(),
        }

    def _menu_stats(self) -> dict[str, Any] | None:
        return self.service.menu_stats() if isinstance(self.service, RemoteSpeech) else None
