"""Overload: with one worker and too many streams, transcription degrades in the stated
order (agent legs, then partials, then caller backlog), the IVR menu still gets its
intent, feeding never blocks, and closing leaves no thread behind."""

from __future__ import annotations

import asyncio
import threading

import numpy as np

from engine.speech import audio
from engine.speech.degrade import DEGRADE_AGENTS, DEGRADE_PARTIALS, Policy
from engine.speech.emotion.analyze import Analyzer
from engine.speech.menus import load as load_menus
from engine.speech.service import SpeechService
from tests.unit.speech.conftest import SKILLS

SENTENCE = "ni3 hao3 wo3 xiang3 wen4 yi1 xia4 wo3 de5 zhang4 dan1 wei4 shen2 me5 zhe4 me5 gui4"


async def test_overload_degrades_in_order_and_the_ivr_still_routes(model_store, espeak):
    threads = threading.active_count()
    speech = SpeechService(
        model_store,
        load_menus(SKILLS / "speech-menus.yaml"),
        Analyzer(),
        workers=1,
        policy=Policy(raise_at=(0.3, 0.6, 1.2), hold=0.5),
    )
    await speech.start()
    got: dict[str, list] = {}

    def sink(name):
        return got.setdefault(name, []).extend

    talk = audio.to_pcm16(np.tile(espeak(SENTENCE), 2))
    ivr_audio = audio.to_pcm16(
        np.concatenate([np.zeros(8000), espeak("ji4 shu4 zhi1 chi2"), np.zeros(16000)])
    )
    sessions = {
        f"agent-{i}": speech.open(
            f"agent-{i}", lang="zh", role="agent", on_result=sink(f"agent-{i}")
        )
        for i in range(3)
    }
    sessions |= {
        f"caller-{i}": speech.open(
            f"caller-{i}", lang="zh", role="caller", emotion=False, on_result=sink(f"caller-{i}")
        )
        for i in range(4)
    }  # four callers overload one worker even at RTF 0.3
    ivr = speech.open("ivr", lang="zh", role="caller", menu="main", on_result=sink("ivr"))
    loop = asyncio.get_running_loop()
    t0, frames = loop.time(), int(4.0 / 0.02)
    for i in range(frames):
        for session in sessions.values():
            session.feed(talk[(i * 640) % len(talk) :][:640])
        if i * 640 < len(ivr_audio):
            ivr.feed(ivr_audio[i * 640 : (i + 1) * 640])
        await asyncio.sleep(max(0.0, t0 + (i + 1) * 0.02 - loop.time()))
    pool = speech.pool
    levels = [level for _, level in pool.level_changes]
    assert levels[0] == DEGRADE_AGENTS, f"agent legs must go first, got {levels}"
    assert max(levels) >= DEGRADE_PARTIALS
    assert pool.dropped["agent"] > pool.dropped["caller"]
    assert pool.dropped["agent"] > 3.0
    await asyncio.gather(ivr.close(), *(s.close(timeout=1.0) for s in sessions.values()))
    assert [t.intent for t in got["ivr"] if t.kind == "final"] == ["technical"]
    assert ivr.dropped == 0.0
    await speech.stop()
    assert threading.active_count() == threads
    assert pool.sessions == {} and pool.waiting == 0
