"""Recognition in its own process (``engine.speech.remote`` + ``engine.speech.worker``),
with the real Mandarin model on espeak-ng speech: what the call path sees is the same as
with threads, the model is not in this process, a killed process is restarted and its
sessions heard again, and stop leaves no process behind."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal

import numpy as np
import pytest

from engine.speech import audio
from engine.speech.recognition_models import ModelError
from engine.speech.remote import RemoteSpeech
from tests.unit.speech.test_recognition import TECHNICAL

pytestmark = pytest.mark.usefixtures("model_store")  # (skips/fails without the model)


async def _say(session, pcm: bytes, pace: float = 0.02) -> None:
    for offset in range(0, len(pcm), 640):
        session.feed(pcm[offset : offset + 640])
        await asyncio.sleep(pace)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_a_menu_leg_is_heard_in_the_recognizer_process(speech_settings, espeak):
    speech = RemoteSpeech.from_settings(speech_settings)
    await speech.start(calibrate=True)
    pid = speech.pool.pid
    assert pid is not None and pid != os.getpid()
    audio_s, cpu_s = speech.pool.calibration or (0.0, 0.0)
    assert audio_s > 1.0 and cpu_s > 0.0, "the process calibrated as it started"
    heard = []
    session = speech.open(
        "call-1/caller", lang="zh", role="caller", menu="main", on_result=heard.extend
    )
    pcm = audio.to_pcm16(np.concatenate([np.zeros(8000), espeak(TECHNICAL), np.zeros(16000)]))
    await _say(session, pcm, pace=0.005)
    await session.close()
    finals = [t for t in heard if t.kind == "final"]
    assert [t.intent for t in finals] == ["technical"]
    assert finals[0].analysis is not None, "caller finals carry the emotion inputs"
    await asyncio.sleep(0.6)  # a stats message
    process = speech.pool.stats()["process"]
    assert process["pid"] == pid and process["rss_mb"] > 50, "the model lives there"
    await speech.stop()
    await asyncio.sleep(0.1)
    assert _gone(pid), "stop ends the process"


async def test_a_killed_process_is_restarted_and_the_leg_heard_again(speech_settings, espeak):
    speech = RemoteSpeech.from_settings(speech_settings)
    await speech.start()
    heard = []
    session = speech.open("call-2/caller", lang="zh", role="caller", on_result=heard.extend)
    first = speech.pool.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    silence = bytes(640)
    for _ in range(3000):  # the leg keeps feeding while the process is down: never raises
        session.feed(silence)
        await asyncio.sleep(0.02)
        if speech.pool.pid not in (None, first):
            break
    assert speech.pool.pid not in (None, first), "restarted"
    assert speech.pool.stats()["process"]["restarts"] == 1
    pcm = audio.to_pcm16(np.concatenate([np.zeros(8000), espeak(TECHNICAL), np.zeros(8000)]))
    await _say(session, pcm, pace=0.01)
    await session.close()
    assert "".join(t.text for t in heard if t.kind == "final") == "技术支持"
    second = speech.pool.pid
    await speech.stop()
    await asyncio.sleep(0.1)
    assert second is not None and _gone(second)


async def test_a_model_that_does_not_load_stops_the_start_with_its_reason(
    speech_settings, tmp_path
):
    for name in ("am/final.mdl", "conf/model.conf", "graph/HCLG.fst"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"not a model")
    settings = dataclasses.replace(speech_settings, speech_models=f"zh={tmp_path}")
    speech = RemoteSpeech.from_settings(settings)
    with pytest.raises(ModelError, match="failed to load"):
        await speech.start()
    missing = dataclasses.replace(speech_settings, speech_models=f"zh={tmp_path / 'none'}")
    with pytest.raises(ModelError, match="does not exist"):
        RemoteSpeech.from_settings(missing)
