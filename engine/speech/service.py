"""The speech service the composition root builds once: models, menus, lexicons, workers.

speech = SpeechService.from_settings(settings)    # raises ModelError at start-up
await speech.start()
session = speech.open(leg_id, role="caller", lang="zh", menu="main",
                      on_result=handle_transcripts)     # on the event loop
session.feed(pcm)        # 20 ms frames, e.g. straight from the media server
await session.close()    # hangup: the last final arrives before this returns
await speech.stop()
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.settings import Settings
from engine.speech import menus as menus_mod
from engine.speech.degrade import Policy
from engine.speech.emotion.analyze import Analyzer
from engine.speech.emotion.audio_classifier import AudioEmotionModel
from engine.speech.emotion.lexicon import TextScorer, load_complaint_words
from engine.speech.pool import RecognitionPool
from engine.speech.recognition_models import ModelStore, check_models
from engine.speech.recognizer import Recognizer
from engine.speech.results import Role, Transcript
from engine.speech.session import Session

MENUS_FILE = "speech-menus.yaml"
COMPLAINTS_FILE = "complaint-words.yaml"


class SpeechService:
    def __init__(
        self,
        models: ModelStore,
        menus: menus_mod.SpeechMenus,
        analyzer: Analyzer,
        workers: int = 0,
        policy: Policy | None = None,
        end_silence: float = 0.2,
        nice: int = 5,
        sched: str = "batch",
        denoise: bool = False,
    ) -> None:
        self.models, self.menus, self.analyzer = models, menus, analyzer
        self.pool = RecognitionPool(workers, policy, nice=nice, sched=sched)
        self.end_silence = end_silence
        self.denoise = denoise  # menu legs: noise reduction (speech_menu_denoise)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        models: ModelStore | None = None,
        lane: str = "all",
    ) -> SpeechService:
        """``lane``: ``all`` (every leg: menus on a normal-priority thread, free-form
        workers under ``SCHED_BATCH`` at ``speech_worker_nice``), ``listen`` (free-form
        legs only: workers under ``speech_worker_policy``) or ``menu`` (IVR menus only:
        every thread at normal priority). The last two are the recognizer processes'."""
        skills = Path(settings.skills_dir)
        complaints = skills / COMPLAINTS_FILE
        text = TextScorer(load_complaint_words(complaints) if complaints.exists() else {})
        model = (
            AudioEmotionModel(settings.emotion_model_dir) if settings.emotion_model_dir else None
        )
        menus = skills / MENUS_FILE  # no file: no speech menus (keys only), still transcripts
        return cls(
            models or check_models(settings),
            menus_mod.load(menus) if menus.exists() else menus_mod.SpeechMenus({}),
            Analyzer(text, model),
            1 if lane == "menu" else settings.speech_workers,
            nice=0 if lane == "menu" else settings.speech_worker_nice,
            sched={"menu": "normal", "listen": settings.speech_worker_policy}.get(lane, "batch"),
            denoise=settings.speech_menu_denoise,
        )

    @property
    def languages(self) -> list[str]:
        return self.models.languages

    async def start(self) -> None:
        """Start workers; load lexicons and the optional model off the loop, before calls."""
        self.pool.start()
        loop = asyncio.get_running_loop()
        if self.analyzer.text is not None:
            await loop.run_in_executor(None, self.analyzer.text.warm, self.languages)
        if self.analyzer.model is not None:
            await loop.run_in_executor(None, self.analyzer.model.load)

    def warm(self) -> None:
        """Blocking (call it off the loop, before calls): the first judgement of a menu
        loads pypinyin's tables (~0.26 s) and the first analysis sets itself up; neither
        should land on a caller's menu decision."""
        warm_menus(self.menus)
        noise = np.random.default_rng(0).normal(0, 0.05, 16000)
        for lang in self.languages[:1]:
            self.analyzer(noise, "", lang)

    async def stop(self, timeout: float = 5.0) -> None:
        await self.pool.close(timeout)

    def open(
        self,
        leg_id: str,
        *,
        lang: str,
        role: Role = "caller",
        menu: str | None = None,
        on_result: Callable[[list[Transcript]], None],
        emotion: bool | None = None,
    ) -> Session:
        """A recognition session for one leg; ``menu`` names a speech menu (grammar mode).

        ``emotion`` (default: caller legs) computes emotion evidence for each final.
        Unknown language or menu raise here, on the call path, before any audio flows.
        """
        speech_menu = self.menus.get(lang, menu) if menu else None
        model = self.models.get(lang)
        wants_emotion = role == "caller" if emotion is None else emotion
        analyze = functools.partial(_analyze, self.analyzer, lang) if wants_emotion else None
        factory = functools.partial(
            Recognizer,
            model,
            leg_id,
            lang=lang,
            role=role,
            menu=speech_menu,
            analyze=analyze,
            end_silence=self.end_silence,
            defer_analysis=True,  # a menu decision does not wait for its prosody
            denoise=self.denoise,
        )
        return self.pool.open(
            leg_id, factory, role=role, menu=speech_menu is not None, on_result=on_result
        )


def warm_menus(menus: menus_mod.SpeechMenus) -> None:
    """Judge one phrase per menu, so everything judging loads is loaded before calls."""
    for menu in menus.menus.values():
        phrase = next((p for ps in menu.intents.values() for p in ps), "")
        if phrase:
            menu.judge(phrase)


def _analyze(analyzer: Analyzer, lang: str, samples, text: str):
    return analyzer(samples, text, lang)
