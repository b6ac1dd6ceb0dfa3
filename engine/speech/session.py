"""One call leg's recognition session inside the ``RecognitionPool``.

``feed`` and ``close`` run on the event loop; ``run_once`` runs on a worker thread.
The recogniser itself is created lazily on the worker (building a grammar takes a
few milliseconds that the event loop should not spend).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from engine.logs import get_logger

if TYPE_CHECKING:
    from engine.speech.pool import RecognitionPool
    from engine.speech.recognizer import Recognizer

log = get_logger(__name__)
RecognizerFactory = Callable[[], "Recognizer"]
_BPS = 32000


class Session:
    def __init__(
        self,
        pool: RecognitionPool,
        leg_id: str,
        factory: RecognizerFactory,
        *,
        role: str,
        menu: bool,
        on_result: Callable[[list], None],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.pool, self.leg_id, self.role, self.menu = pool, leg_id, role, menu
        self.priority = pool.policy.priority(role, menu)
        self.fed = 0.0  # seconds of audio offered
        self.dropped = 0.0  # seconds of it dropped under overload
        self._factory = factory
        self._on_result = on_result
        self._loop = loop
        self._pending: collections.deque[bytes] = collections.deque()
        self._bytes = 0
        self._skip = 0  # dropped bytes not yet told to the recogniser
        self._scheduled = False
        self._closing = False
        self._cancelled = False
        self._recognizer: Recognizer | None = None
        self._done: asyncio.Future[None] = loop.create_future()

    @property
    def waiting(self) -> float:
        """Seconds of audio queued for a worker: how far this leg is behind real time."""
        return self._bytes / _BPS

    def feed(self, pcm: bytes) -> None:
        """Queue 16 kHz int16 audio (event loop; O(1), never blocks)."""
        pool = self.pool
        if self._closing or self._cancelled:
            return
        self.fed += len(pcm) / _BPS
        with pool.lock:
            level = pool.update_level(self._loop.time())
            if not pool.policy.accepts(level, self.role, self.menu):
                self._drop(len(pcm))
                self._drop_pending(0)
                return
            self._pending.append(pcm)
            self._bytes += len(pcm)
            pool.waiting += len(pcm)
            self._drop_pending(int(pool.policy.cap(level, self.role, self.menu) * _BPS))
            wake, self._scheduled = not self._scheduled, True
        if wake:
            pool.schedule(self)

    def _drop(self, size: int) -> None:
        self._skip += size
        self.dropped += size / _BPS
        self.pool.dropped[self.role] = self.pool.dropped.get(self.role, 0.0) + size / _BPS

    def _drop_pending(self, keep: int) -> None:
        while self._bytes > keep and self._pending:
            chunk = self._pending.popleft()
            self._bytes -= len(chunk)
            self.pool.waiting -= len(chunk)
            self._drop(len(chunk))

    def run_once(self) -> None:
        """Worker thread: decode up to one chunk, deliver results, reschedule if needed."""
        pool = self.pool
        with pool.lock:
            take: list[bytes] = []
            size = 0
            while self._pending and size < pool.chunk_bytes:
                take.append(self._pending.popleft())
                size += len(take[-1])
            self._bytes -= size
            pool.waiting -= size
            skip, self._skip = self._skip, 0
            finishing = self._closing and not self._pending
            partials = pool.policy.partials(pool.level)
        results: list[Any] = []
        if not self._cancelled:
            try:
                if self._recognizer is None:
                    self._recognizer = self._factory()
                self._recognizer.skip(skip / _BPS)
                if take:
                    results += self._recognizer.accept(b"".join(take), partials)
                if finishing:
                    results += self._recognizer.finish()
                if results:  # a menu decision goes out before its emotion evidence
                    self._loop.call_soon_threadsafe(self._deliver, results)
                    results = []
                results = self._recognizer.deferred()
            except Exception:
                log.exception("speech.session_failed", leg=self.leg_id)
                finishing, self._cancelled = True, True
        if results:
            self._loop.call_soon_threadsafe(self._deliver, results)
        with pool.lock:
            again = bool(self._pending) or (self._closing and not finishing)
            self._scheduled = again
        if again:
            pool.schedule(self)
        elif finishing:
            self._recognizer = None  # its decoder's memory is freed now, on the worker
            self._loop.call_soon_threadsafe(self._finished)

    def _deliver(self, results: list[Any]) -> None:
        try:
            self._on_result(results)
        except Exception:
            log.exception("speech.result_handler_failed", leg=self.leg_id)

    def _finished(self) -> None:
        if not self._done.done():
            self._done.set_result(None)

    async def close(self, timeout: float = 5.0) -> None:
        """Hangup: decode what is queued, deliver the last final, free the session."""
        with self.pool.lock:
            if not self._closing:
                self._closing = True
                wake, self._scheduled = not self._scheduled, True
            else:
                wake = False
        if wake:
            self.pool.schedule(self)
        try:
            await asyncio.wait_for(asyncio.shield(self._done), timeout)
        except TimeoutError:
            self._cancelled = True
            log.warning("speech.close_timed_out", leg=self.leg_id, timeout=timeout)
        finally:
            self.pool.forget(self)
