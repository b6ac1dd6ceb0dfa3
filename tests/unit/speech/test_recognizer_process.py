"""Recognition in its own process (``engine.speech.remote`` + ``engine.speech.worker``),
with the real Mandarin model on espeak-ng speech: what the call path sees is the same as
with threads, the model is not in this process, a killed process is restarted and its
sessions heard again, and stop leaves no process behind."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import threading
from pathlib import Path

import numpy as np
import pytest

from engine import timeslice
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


def _policy(pid: int, tid: int) -> int:
    """The scheduling policy of one thread of another process (field 41 of its stat)."""
    with open(f"/proc/{pid}/task/{tid}/stat") as fh:
        raw = fh.read()
    return int(raw.rsplit(")", 1)[1].split()[38])


def _threads(pid: int) -> dict[str, int]:
    """Thread name -> tid of a process, from /proc (as ``top -H`` shows them)."""
    out = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/comm") as fh:
            out[fh.read().strip()] = int(task)
    return out


AUTOGROUPS = Path("/proc/self/autogroup").exists()  # the kernel groups sessions


def _autogroup(pid: int) -> tuple[str, int] | None:
    """(group, nice) from /proc/PID/autogroup, e.g. "/autogroup-8909 nice 19"; None for
    the kernel's default group, which prints nothing (a process whose session was never
    made with setsid, as under a container's or a CI runner's first process)."""
    fields = Path(f"/proc/{pid}/autogroup").read_text().split()
    if not fields:
        return None
    group, _, nice = fields
    return group, int(nice)


def _slice_ms(pid: int) -> float | None:
    """A process's main thread's EEVDF slice (ms), from /proc/PID/sched."""
    for line in Path(f"/proc/{pid}/sched").read_text().splitlines():
        if line.startswith("se.slice"):
            return int(float(line.split(":")[1])) / 1e6
    return None


def _kernel_default_slice() -> float | None:
    out: list[float | None] = []
    thread = threading.Thread(target=lambda: out.append(timeslice.reset()))
    thread.start()
    thread.join()
    return out[0]


async def test_menus_and_free_form_legs_are_heard_in_processes_of_their_own(
    speech_settings, espeak
):
    timeslice.set_slice(0.2)  # as the engine's loop thread, which starts the processes
    speech = RemoteSpeech.from_settings(speech_settings)
    await speech.start(calibrate=True)
    assert speech.menu_pool is not None
    pid, menu_pid = speech.pool.pid, speech.menu_pool.pid
    assert None not in (pid, menu_pid) and len({pid, menu_pid, os.getpid()}) == 3
    audio_s, cpu_s = speech.pool.calibration or (0.0, 0.0)
    assert audio_s > 1.0 and cpu_s > 0.0, "the free-form process calibrated as it started"
    heard, said = [], []
    menu_leg = speech.open(
        "call-1/caller", lang="zh", role="caller", menu="main", on_result=heard.extend
    )
    free_leg = speech.open("call-9/caller", lang="zh", role="caller", on_result=said.extend)
    pcm = audio.to_pcm16(np.concatenate([np.zeros(8000), espeak(TECHNICAL), np.zeros(16000)]))
    await asyncio.gather(_say(menu_leg, pcm, pace=0.01), _say(free_leg, pcm, pace=0.01))
    await asyncio.gather(menu_leg.close(), free_leg.close())
    finals = [t for t in heard if t.kind == "final"]
    assert [t.intent for t in finals] == ["technical"]
    # the decision comes first, its emotion inputs right after it (the same utterance)
    assert finals[0].pending and finals[0].analysis is None
    (evidence,) = [t for t in heard if t.kind == "analysis"]
    assert heard.index(evidence) == heard.index(finals[0]) + 1
    assert (evidence.text, evidence.end) == (finals[0].text, finals[0].end)
    assert evidence.analysis is not None, "caller finals carry the emotion inputs"
    assert "".join(t.text for t in said if t.kind == "final") == "技术支持"
    await asyncio.sleep(0.6)  # a stats message from each
    listen, menus = speech.pool.stats()["process"], speech.menu_stats()["process"]
    assert (listen["lane"], listen["pid"]) == ("listen", pid)
    assert (menus["lane"], menus["pid"]) == ("menu", menu_pid)
    assert listen["rss_mb"] > 50 and menus["rss_mb"] > 50, "each holds the model"
    # the menus yield to call control (speech_menu_nice: 10); the listen workers are idle
    assert menus["nice"] == 10 and listen["nice"] == 0
    # free-form decoding takes only CPU nothing else wants; the menus' threads do not wait
    workers = {n: t for n, t in _threads(pid).items() if n.startswith("speech-worker")}
    assert workers and all(_policy(pid, t) == os.SCHED_IDLE for t in workers.values())
    assert speech.pool.stats()["priority"]["speech-worker-0"]["policy"] == "idle"
    menu_threads = {n: t for n, t in _threads(menu_pid).items() if n.startswith("speech-")}
    assert {"speech-ivr", "speech-worker-0"} <= set(menu_threads)
    assert all(_policy(menu_pid, t) == os.SCHED_OTHER for t in menu_threads.values())
    # idle among its own threads is not enough: the free-form process is in a session
    # (a scheduler group, with autogroups) of its own, at the lightest group weight; the
    # menu process too, at speech_menu_nice, so that decoding a menu does not come out of
    # the engine's group (its event loop)
    assert os.getsid(pid) == pid and os.getsid(menu_pid) == menu_pid
    # the short time slice of the engine's loop thread (loop_slice_ms) is not inherited
    default_slice = _kernel_default_slice()
    if default_slice is not None:
        assert _slice_ms(pid) == _slice_ms(menu_pid) == default_slice
    if AUTOGROUPS:
        listen_group, menu_group = _autogroup(pid), _autogroup(menu_pid)
        assert listen_group and listen_group[1] == 19 and listen["group_nice"] == 19
        assert menu_group and menu_group[1] == 10 and menus["group_nice"] == 10
        assert len({listen_group[0], menu_group[0], (_autogroup(os.getpid()) or ("",))[0]}) == 3
    await speech.stop()
    await asyncio.sleep(0.1)
    assert _gone(pid) and _gone(menu_pid), "stop ends both processes"


async def test_menus_share_the_process_when_configured(speech_settings, espeak):
    settings = dataclasses.replace(speech_settings, speech_menu_process=False)
    speech = RemoteSpeech.from_settings(settings)
    await speech.start()
    assert speech.menu_pool is None and speech.menu_stats() is None
    heard = []
    session = speech.open("call-3/caller", lang="zh", menu="main", on_result=heard.extend)
    pcm = audio.to_pcm16(np.concatenate([np.zeros(8000), espeak(TECHNICAL), np.zeros(16000)]))
    await _say(session, pcm, pace=0.005)
    await session.close()
    assert [t.intent for t in heard if t.kind == "final"] == ["technical"]
    await asyncio.sleep(0.6)
    # menus on a normal thread beside the workers: those must not be idle (GIL inversion)
    assert speech.pool.stats()["priority"]["speech-worker-0"]["policy"] == "batch"
    await speech.stop()


async def test_a_hung_process_is_killed_and_restarted(speech_settings, espeak):
    speech = RemoteSpeech.from_settings(speech_settings)
    await speech.start()
    assert speech.menu_pool is not None
    speech.menu_pool.hung_after = 1.5
    heard = []
    session = speech.open("call-4/caller", lang="zh", menu="main", on_result=heard.extend)
    stuck = speech.menu_pool.pid
    assert stuck is not None
    os.kill(stuck, signal.SIGSTOP)  # alive, silent: a decoder stuck in C looks the same
    try:
        for _ in range(500):
            session.feed(bytes(640))
            await asyncio.sleep(0.02)
            if speech.menu_pool.pid not in (None, stuck):
                break
        assert speech.menu_pool.pid not in (None, stuck), "killed and restarted"
        stats = speech.menu_stats()["process"]
        assert (stats["hung"], stats["restarts"]) == (1, 1)
        assert speech.pool.stats()["process"]["restarts"] == 0, "the other process untouched"
        pcm = audio.to_pcm16(np.concatenate([np.zeros(8000), espeak(TECHNICAL), np.zeros(16000)]))
        await _say(session, pcm, pace=0.005)
        await session.close()
        assert [t.intent for t in heard if t.kind == "final"] == ["technical"]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(stuck, signal.SIGKILL)
        await speech.stop()


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
