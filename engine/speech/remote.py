"""Recognition in its own process: the engine side (``speech_process``, the default).

    speech = RemoteSpeech(settings, menus)       # checks model folders; loads nothing
    await speech.start(calibrate=True)           # spawns the recognizer process
    session = speech.open(leg_id, lang="zh", role="caller", menu="main",
                          on_result=handle, emotion=True)     # as SpeechService.open
    session.feed(pcm); await session.close()
    await speech.stop()

Same surface as ``SpeechService`` (``open``/``start``/``stop``/``menus``/``languages``/
``pool``), so the call path does not know where recognition runs. The process
(``engine.speech.worker``) holds the model, recognizers, text scoring and intent matching;
the engine keeps none of them in its memory, and no thread of theirs shares the event
loop's GIL. Audio is batched per session (``BATCH`` seconds; menus frame by frame: their
decisions are timed) and written to a socket pair; results come back as small messages
read by the loop. Writes never block: past ``MAX_BUFFERED`` bytes unread by the process,
audio is dropped and counted (the process is stuck or dead).

A process that dies is restarted with backoff (``BACKOFF``); every open session is opened
again in the new one (re-admitted: its audio flows again, the words said meanwhile are
lost, its recognizer starts afresh), sessions that were closing end at once, and no call
notices (``speech.worker_died``, ``speech.worker_restarted``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.logs import get_logger
from engine.settings import Settings
from engine.speech import menus as menus_mod
from engine.speech import wire
from engine.speech.degrade import LEVEL_NAMES
from engine.speech.recognition_models import ModelError, ModelStore
from engine.speech.results import Role, Transcript
from engine.speech.worker_lanes import own_group

log = get_logger(__name__)
BPS = 32000  # bytes per second of 16 kHz int16
BATCH = 0.1  # seconds of a free-form session's audio per write
MAX_BUFFERED = 4 << 20  # bytes written but not yet read by the process (~2 min of audio)
START_TIMEOUT = 120.0  # seconds for the process to load its models (and calibrate)
BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0)  # seconds before restart n (the last repeats)
STABLE = 60.0  # a process that lived this long restarts without delay
HUNG_AFTER = 30.0  # seconds without a word (it reports every 0.5 s): hung, killed, restarted
ROOT = Path(__file__).resolve().parents[2]


class RemoteSession:
    """One leg's session, engine side: ``feed`` on the loop (never blocks), ``close``."""

    def __init__(
        self,
        pool: RemotePool,
        sid: int,
        spec: tuple[Any, ...],
        role: str,
        menu: bool,
        on_result: Callable[[list[Transcript]], None],
    ) -> None:
        self.pool, self.sid, self.spec, self.role, self.menu = pool, sid, spec, role, menu
        self.leg_id: str = spec[0]
        self.fed = 0.0  # seconds of audio offered
        self._on_result = on_result
        self._batch: list[bytes] = []
        self._size = 0
        self._flush_at = 640 if menu else int(BATCH * BPS)
        self._closing = False
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def feed(self, pcm: bytes) -> None:
        if self._closing:
            return
        self.fed += len(pcm) / BPS
        self._batch.append(pcm)
        self._size += len(pcm)
        if self._size >= self._flush_at:
            self.flush()

    def flush(self) -> None:
        if self._batch:
            pcm, self._batch, self._size = b"".join(self._batch), [], 0
            self.pool.send_audio(self, pcm)

    def deliver(self, results: list[Transcript]) -> None:
        try:
            self._on_result(results)
        except Exception:
            log.exception("speech.result_handler_failed", leg=self.leg_id)

    def finished(self) -> None:
        if not self.done.done():
            self.done.set_result(None)

    async def close(self, timeout: float = 5.0) -> None:
        """Hangup: the process decodes what it has, the last final arrives, then this returns."""
        if not self._closing:
            self.flush()
            self._closing = True
            self.pool.send_close(self)
        try:
            await asyncio.wait_for(asyncio.shield(self.done), timeout)
        except TimeoutError:
            log.warning("speech.close_timed_out", leg=self.leg_id, timeout=timeout)
        finally:
            self.pool.forget(self)


class RemotePool:
    """The recognizer process: spawn, talk, watch, restart, stop."""

    def __init__(self, settings: Settings, menus: menus_mod.SpeechMenus, lane: str = "all") -> None:
        self.settings, self.menus, self.lane = settings, menus, lane
        self.workers = settings.speech_workers or os.cpu_count() or 1
        self.calibration: tuple[float, float] | None = None
        self.restarts = 0
        self.dropped = {"caller": 0.0, "agent": 0.0}  # seconds the process never got
        self._sessions: dict[int, RemoteSession] = {}
        self._ids = itertools.count(1)
        self._proc: asyncio.subprocess.Process | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reading: asyncio.Task[None] | None = None
        self._restarting: asyncio.Task[None] | None = None
        self._stats: dict[str, Any] = {}
        self._started_at = 0.0
        self._heard_at = 0.0  # monotonic time of the process's last message
        self._watching: asyncio.Task[None] | None = None
        self.hung = 0  # processes killed for silence
        self.hung_after = HUNG_AFTER
        self._stopping = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._writer is not None else None

    @property
    def sessions(self) -> dict[str, RemoteSession]:
        return {s.leg_id: s for s in self._sessions.values()}

    async def start(self, calibrate: bool = False) -> None:
        await self._spawn(calibrate)

    async def _spawn(self, calibrate: bool) -> None:
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "engine.speech.worker",
                "--fd",
                str(theirs.fileno()),
                pass_fds=(theirs.fileno(),),
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                # menus and idle workers get a scheduler group of their own (worker.group_nice)
                start_new_session=own_group(self.settings, self.lane),
            )
        finally:
            theirs.close()
        reader, writer = await asyncio.open_unix_connection(sock=ours)
        writer.write(
            wire.message("init", _shareable(self.settings), self.menus, calibrate, self.lane)
        )
        try:
            body = await asyncio.wait_for(_first_answer(reader), START_TIMEOUT)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError) as exc:
            await _end(proc, writer)
            raise ModelError(f"the recognizer process did not start ({exc!r})") from None
        if body[0] != "ready":
            await _end(proc, writer)
            raise ModelError(str(body[1]))
        info = body[1]
        self.workers = int(info["workers"])
        if info.get("calibration") is not None:
            audio_s, cpu_s = info["calibration"]
            self.calibration = (float(audio_s), float(cpu_s))
        self._proc, self._writer, self._started_at = proc, writer, time.monotonic()
        self._heard_at = self._started_at
        if self._watching is None:
            self._watching = asyncio.create_task(self._watch(), name="speech-process-watch")
        self._reading = asyncio.create_task(self._read(reader, proc), name="speech-process")
        for session in list(self._sessions.values()):  # re-admitted after a restart
            if not session._closing:
                writer.write(wire.message("open", session.sid, *session.spec))
        log.info("speech.process_started", pid=proc.pid, lane=self.lane, workers=self.workers)

    def open(
        self,
        spec: tuple[Any, ...],
        role: str,
        menu: bool,
        on_result: Callable[[list[Transcript]], None],
    ) -> RemoteSession:
        session = RemoteSession(self, next(self._ids), spec, role, menu, on_result)
        self._sessions[session.sid] = session
        if self._writer is not None:
            self._writer.write(wire.message("open", session.sid, *spec))
        return session  # (process down: opened when it is back)

    def forget(self, session: RemoteSession) -> None:
        self._sessions.pop(session.sid, None)

    def send_audio(self, session: RemoteSession, pcm: bytes) -> None:
        writer = self._writer
        if writer is None or writer.transport.get_write_buffer_size() > MAX_BUFFERED:
            self.dropped[session.role] = self.dropped.get(session.role, 0.0) + len(pcm) / BPS
            return
        writer.write(wire.audio(session.sid, pcm))

    def send_close(self, session: RemoteSession) -> None:
        if self._writer is None:
            session.finished()
        else:
            self._writer.write(wire.message("close", session.sid))

    def use_menus(self, menus: menus_mod.SpeechMenus) -> None:
        self.menus = menus
        if self._writer is not None:
            self._writer.write(wire.message("menus", menus))

    async def _read(self, reader: asyncio.StreamReader, proc: asyncio.subprocess.Process) -> None:
        try:
            while True:
                kind, _, body = await wire.read(reader)
                self._heard_at = time.monotonic()
                if kind == wire.MESSAGE:
                    self._handle(body)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        if self._stopping:
            return
        writer, self._writer = self._writer, None
        code = await _end(proc, writer)
        log.warning(
            "speech.worker_died",
            pid=proc.pid,
            lane=self.lane,
            code=code,
            sessions=len(self._sessions),
        )
        for session in list(self._sessions.values()):
            if session._closing:
                session.finished()  # its last words are lost with the process
        self._restarting = asyncio.create_task(self._restart(), name="speech-process-restart")

    def _handle(self, body: tuple[Any, ...]) -> None:
        name = body[0]
        if name == "results":
            session = self._sessions.get(body[1])
            if session is not None:
                session.deliver(body[2])
        elif name == "closed":
            session = self._sessions.get(body[1])
            if session is not None and session._closing:
                session.finished()
        elif name == "failed":
            session = self._sessions.get(body[1])
            log.warning("speech.session_failed", sid=body[1], error=body[2])
            if session is not None:
                session.finished()
        elif name == "stats":
            self._stats = body[1]

    async def _watch(self) -> None:
        """A process alive but silent for ``HUNG_AFTER`` (a decoder stuck in C, a deadlock)
        is killed; ``_read`` then restarts it like any process that died."""
        while not self._stopping:
            await asyncio.sleep(self.hung_after / 10)
            proc, silent = self._proc, time.monotonic() - self._heard_at
            if self._writer is None or proc is None or silent < self.hung_after:
                continue
            self.hung += 1
            log.error("speech.worker_hung", pid=proc.pid, lane=self.lane, silent_s=round(silent))
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            self._heard_at = time.monotonic()  # one kill per silence

    async def _restart(self) -> None:
        lived = time.monotonic() - self._started_at
        attempt = 0 if lived >= STABLE else min(self.restarts, len(BACKOFF) - 1)
        while not self._stopping:
            await asyncio.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])
            try:
                await self._spawn(calibrate=False)
            except Exception as exc:
                log.error("speech.worker_restart_failed", error=str(exc), attempt=attempt)
                attempt += 1
                continue
            self.restarts += 1
            log.warning(
                "speech.worker_restarted",
                pid=self.pid,
                lane=self.lane,
                readmitted=len(self._sessions),
            )
            return

    async def close(self, timeout: float = 5.0) -> None:
        """Close every session (bounded), then stop the process (killed if it lingers)."""
        await asyncio.gather(
            *(s.close(timeout) for s in list(self._sessions.values())), return_exceptions=True
        )
        self._stopping = True
        for task in (self._restarting, self._watching):
            if task is not None:
                task.cancel()
        writer, self._writer = self._writer, None
        if writer is not None and self._proc is not None:
            with contextlib.suppress(ConnectionError):
                writer.write(wire.message("stop"))
            await _end(self._proc, writer, timeout)
        if self._reading is not None:
            self._reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading

    @property
    def lag(self) -> float:
        """Seconds behind real time per worker: the process's queue plus what it has not read."""
        buffered = self._writer.transport.get_write_buffer_size() if self._writer else 0
        return float(self._stats.get("lag", 0.0)) + buffered / BPS / self.workers

    def stats(self) -> dict[str, Any]:
        remote = self._stats
        level = int(remote.get("level", 0))
        dropped = dict(remote.get("dropped_seconds") or {})
        for role, seconds in self.dropped.items():
            dropped[role] = round(dropped.get(role, 0.0) + seconds, 2)
        return {
            "mode": "process",
            "level": level,
            "meaning": LEVEL_NAMES[level],
            "lag": round(self.lag, 3),
            "sessions": len(self._sessions),
            "behind": int(remote.get("behind", 0)),
            "workers": self.workers,
            "dropped_seconds": dropped,
            "level_changes": remote.get("level_changes", 0),
            "priority": remote.get("priority", {}),
            "process": {
                "lane": self.lane,
                "pid": self.pid,
                "up": self._writer is not None,
                "restarts": self.restarts,
                "hung": self.hung,
                "nice": remote.get("nice"),
                "group_nice": remote.get("group_nice"),  # its scheduler group's (autogroup) nice
                "cpu_s": remote.get("cpu_s"),
                "rss_mb": remote.get("rss_mb"),
                "peak_rss_mb": remote.get("peak_rss_mb"),
            },
        }


class RemoteSpeech:
    """``SpeechService``'s surface, with recognition in the recognizer process."""

    def __init__(self, settings: Settings, menus: menus_mod.SpeechMenus) -> None:
        self.models = ModelStore(settings.speech_model_paths if settings.speech_enabled else {})
        for lang in self.models.languages:
            self.models.check(lang)  # a clear error now; the process loads them
        self._menus = menus
        separate = settings.speech_menu_process
        self.pool = RemotePool(settings, menus, "listen" if separate else "all")
        # IVR menus in a process of their own, at normal priority (None: in ``pool``'s)
        self.menu_pool = RemotePool(settings, menus, "menu") if separate else None

    @property
    def pools(self) -> list[RemotePool]:
        return [self.pool] + ([self.menu_pool] if self.menu_pool is not None else [])

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteSpeech:
        from engine.speech.service import MENUS_FILE

        path = Path(settings.skills_dir) / MENUS_FILE
        return cls(settings, menus_mod.load(path) if path.exists() else menus_mod.SpeechMenus({}))

    @property
    def languages(self) -> list[str]:
        return self.models.languages

    @property
    def menus(self) -> menus_mod.SpeechMenus:
        return self._menus

    @menus.setter
    def menus(self, menus: menus_mod.SpeechMenus) -> None:
        self._menus = menus
        for pool in self.pools:
            pool.use_menus(menus)

    async def start(self, calibrate: bool = False) -> None:
        """Start the processes side by side (the free-form one calibrates); if one fails,
        the other is stopped and the error raised."""
        starts = [self.pool.start(calibrate)]
        if self.menu_pool is not None:
            starts.append(self.menu_pool.start())
        results = await asyncio.gather(*starts, return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            await self.stop()
            raise failed[0]

    async def stop(self, timeout: float = 5.0) -> None:
        await asyncio.gather(*(pool.close(timeout) for pool in self.pools))

    def menu_stats(self) -> dict[str, Any] | None:
        """The menu process's figures for /status (None: menus share ``pool``'s)."""
        return self.menu_pool.stats() if self.menu_pool is not None else None

    def open(
        self,
        leg_id: str,
        *,
        lang: str,
        role: Role = "caller",
        menu: str | None = None,
        on_result: Callable[[list[Transcript]], None],
        emotion: bool | None = None,
    ) -> RemoteSession:
        """As ``SpeechService.open``: an unknown language or menu raises here."""
        if menu:
            self._menus.get(lang, menu)
        if lang not in self.models.paths:
            self.models.check(lang)
        spec = (leg_id, lang, role, menu, emotion)
        pool = self.menu_pool if menu and self.menu_pool is not None else self.pool
        return pool.open(spec, role, bool(menu), on_result)


def _shareable(settings: Settings) -> Settings:
    """The settings the process needs, secrets blanked (it talks to nothing but us)."""
    secrets: dict[str, Any] = {
        f.name: "" for f in dataclasses.fields(settings) if f.metadata.get("secret")
    }
    return dataclasses.replace(settings, **secrets)


async def _first_answer(reader: asyncio.StreamReader) -> tuple[Any, ...]:
    """The process's ``ready`` or ``error`` (stats may come first, while it calibrates)."""
    while True:
        kind, _, body = await wire.read(reader)
        if kind == wire.MESSAGE and body[0] in ("ready", "error"):
            return tuple(body)


async def _end(
    proc: asyncio.subprocess.Process, writer: asyncio.StreamWriter | None, timeout: float = 5.0
) -> int | None:
    """Close our end and wait for the process to exit (SIGKILL after ``timeout``)."""
    if writer is not None:
        with contextlib.suppress(Exception):
            writer.close()
    try:
        return await asyncio.wait_for(proc.wait(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        return await proc.wait()
