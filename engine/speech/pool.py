"""Recognition off the event loop: worker threads serving one session per call leg.

Vosk decodes in C through cffi, which releases the GIL, so threads give real
parallelism (see docs/speech.md for the measurement) while sharing one loaded model.
``Session.feed`` is called on the event loop for every 20 ms frame and never blocks:
it appends to the session's bounded queue and, when the session is idle, puts it on
the ready queue (IVR menus first, then callers, then agents). A worker takes a
session, decodes at most ``chunk`` seconds, hands results back to the loop with
``call_soon_threadsafe`` and puts the session back if audio is still waiting. The
overload policy (``engine.speech.degrade``) decides what is dropped when workers fall
behind. Optional work yields to call control: workers run at a lower OS priority than
the event loop's thread (``nice``, per thread on Linux) under ``SCHED_BATCH`` (a waking
worker never preempts the loop or Asterisk; the loop, when it wakes, preempts a worker),
so decoding takes the CPU that call control leaves. ``stats()["priority"]`` shows what
each worker got.

A leg's recogniser is freed on its worker as soon as its session finishes. The heap is
not trimmed from a worker: ``malloc_trim`` holds each malloc arena's lock in turn, the
event loop's among them, and a niced worker descheduled while holding it would stall the
loop (``trim_heap`` is for threads at normal priority, e.g. after the start's calibration).

IVR menu sessions decide where calls go, so they have their own lane: a dedicated
thread (normal priority) serves only them, and general workers take them first too
(a token on the general queue), so an intent never waits behind free-form decoding
even when every general worker is saturated.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import itertools
import os
import queue
import threading
from collections.abc import Callable

from engine.logs import get_logger
from engine.speech.degrade import LEVEL_NAMES, Policy
from engine.speech.session import RecognizerFactory, Session

log = get_logger(__name__)
BYTES_PER_SECOND = 32000


class RecognitionPool:
    def __init__(
        self,
        workers: int = 0,
        policy: Policy | None = None,
        nice: int = 5,
        chunk: float = 0.1,
        sched: str = "batch",
    ) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.policy = policy or Policy()
        self.chunk_bytes = int(chunk * BYTES_PER_SECOND)
        self.level = 0
        self.level_changes: list[tuple[float, int]] = []
        self.dropped = {"caller": 0.0, "agent": 0.0}
        self.lock = threading.Lock()
        self.waiting = 0  # bytes queued in all sessions
        self._nice, self._sched = nice, sched
        self._ready: queue.PriorityQueue = queue.PriorityQueue()
        self._menus: queue.SimpleQueue[Session | None] = queue.SimpleQueue()
        self._order = itertools.count()
        self._threads: list[threading.Thread] = []
        self._sessions: dict[str, Session] = {}
        self.priority: dict[str, dict[str, object]] = {}  # thread name -> what it got

    @property
    def lag(self) -> float:
        """Seconds of audio waiting per worker: how far behind real time the pool is."""
        return self.waiting / BYTES_PER_SECOND / self.workers

    @property
    def sessions(self) -> dict[str, Session]:
        return dict(self._sessions)

    def start(self) -> None:
        if self._threads:
            return
        self._threads.append(
            threading.Thread(target=self._menu_lane, name="speech-ivr", daemon=True)
        )
        self._threads += [
            threading.Thread(target=self._work, name=f"speech-worker-{n}", daemon=True)
            for n in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    def open(
        self,
        leg_id: str,
        factory: RecognizerFactory,
        *,
        role: str = "caller",
        menu: bool = False,
        on_result: Callable[[list], None],
    ) -> Session:
        if leg_id in self._sessions:
            raise ValueError(f"recognition session {leg_id!r} is already open")
        if not self._threads:
            self.start()
        session = Session(
            self,
            leg_id,
            factory,
            role=role,
            menu=menu,
            on_result=on_result,
            loop=asyncio.get_running_loop(),
        )
        self._sessions[leg_id] = session
        return session

    def forget(self, session: Session) -> None:
        if self._sessions.get(session.leg_id) is session:
            del self._sessions[session.leg_id]

    def schedule(self, session: Session) -> None:
        if session.menu:
            self._menus.put(session)
            self._ready.put((session.priority, next(self._order), _MENU_TOKEN))
        else:
            self._ready.put((session.priority, next(self._order), session))

    def update_level(self, now: float) -> int:
        """Called under ``lock`` by feeds: the overload level for the current lag."""
        since = now - self.level_changes[-1][0] if self.level_changes else float("inf")
        level = self.policy.level(self.level, self.lag, since)
        if level != self.level:
            self.level_changes.append((now, level))
            log.warning(
                "speech.overload_level",
                level=level,
                meaning=LEVEL_NAMES[level],
                lag=round(self.lag, 2),
            )
            self.level = level
        return level

    def _work(self) -> None:
        name_thread()
        self.priority[threading.current_thread().name] = yield_to_call_control(
            self._nice, self._sched
        )
        while True:
            _, _, item = self._ready.get()
            if item is None:
                return
            if item is _MENU_TOKEN:
                try:
                    item = self._menus.get_nowait()
                except queue.Empty:
                    continue  # the IVR lane took it already
                if item is None:  # the IVR lane's stop sentinel: leave it for the lane
                    self._menus.put(None)
                    continue
            _run(item)

    def _menu_lane(self) -> None:
        name_thread()
        while (session := self._menus.get()) is not None:
            _run(session)

    async def close(self, timeout: float = 5.0) -> None:
        """Close every session (bounded), then stop and join the workers."""
        await asyncio.gather(
            *(s.close(timeout) for s in list(self._sessions.values())), return_exceptions=True
        )
        for _ in self._threads:
            self._ready.put((99, next(self._order), None))
        self._menus.put(None)
        deadline = asyncio.get_running_loop().time() + timeout
        while any(t.is_alive() for t in self._threads):
            if asyncio.get_running_loop().time() > deadline:
                log.warning("speech.workers_still_busy", count=len(self._threads))
                break
            await asyncio.sleep(0.01)
        self._threads.clear()

    def stats(self) -> dict[str, object]:
        return {
            "level": self.level,
            "meaning": LEVEL_NAMES[self.level],
            "lag": round(self.lag, 3),
            "sessions": len(self._sessions),
            # sessions not heard in real time: more than a second behind, or audio of
            # theirs dropped by the overload policy
            "behind": sum(
                1 for s in list(self._sessions.values()) if s.waiting > 1.0 or s.dropped > 0
            ),
            "workers": self.workers,
            "dropped_seconds": dict(self.dropped),
            "level_changes": len(self.level_changes),
            "priority": dict(self.priority),
        }


_MENU_TOKEN = object()


def name_thread() -> None:
    """Give the OS thread the Python thread's name (15 bytes), so ``top -H`` and
    ``/proc/PID/task/*/comm`` tell recognizer CPU apart from the event loop's."""
    with contextlib.suppress(OSError, AttributeError):
        _libc().prctl(15, threading.current_thread().name.encode()[:15], 0, 0, 0)  # PR_SET_NAME


def trim_heap() -> bool:
    """Give freed heap memory back to the OS (glibc); False where there is no such call."""
    try:
        _libc().malloc_trim(0)
    except (OSError, AttributeError):
        return False
    return True


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL("libc.so.6")


def yield_to_call_control(nice: int, sched: str = "batch") -> dict[str, object]:
    """Lower the calling thread's priority. ``batch``: ``nice`` (Linux applies it per
    thread) and ``SCHED_BATCH``; ``idle``: ``SCHED_IDLE``, the thread runs only on CPU no
    normal thread wants (safe only where no normal-priority thread waits on its GIL: the
    recognizer process, whose menus are in a process of their own); ``normal``: unchanged.
    Returns what it got (``nice``, ``policy``); where the OS refuses, the thread keeps
    what it had and says so."""
    tid = threading.get_native_id()
    got: dict[str, object] = {"nice": 0, "policy": "other"}
    if sched == "normal":
        return got
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, tid, nice)
        got["nice"] = os.getpriority(os.PRIO_PROCESS, tid)
    policy = os.SCHED_IDLE if sched == "idle" else os.SCHED_BATCH
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(tid, policy, os.sched_param(0))
        now = os.sched_getscheduler(tid)
        got["policy"] = {os.SCHED_BATCH: "batch", os.SCHED_IDLE: "idle"}.get(now, "other")
    return got


def _run(session: Session) -> None:
    try:
        session.run_once()
    except Exception:
        log.exception("speech.worker_failed", leg=session.leg_id)
