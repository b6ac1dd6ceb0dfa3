"""``Batcher``: a base for adapters that queue work in O(1) and write it in batches.

Callers queue and ``wake()``; one task calls ``flush()`` at most every ``interval``
seconds, so under load there is one round trip (Redis, SQLite) per interval rather than
one per item. ``stop()`` cancels the task and flushes what is left.
"""

from __future__ import annotations

import asyncio
import contextlib


class Batcher:
    def __init__(self, interval: float, name: str) -> None:
        self.interval = interval
        self._name = name
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.flush()
            await asyncio.sleep(self.interval)

    async def flush(self) -> None:
        raise NotImplementedError
