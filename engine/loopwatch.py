"""A health signal for the one event loop everything runs on: when it was blocked.

Media arrives as UDP on the loop; while it is blocked the kernel's receive buffer fills
(about 2 s of a call leg's RTP on loopback) and then drops audio, and the 2-second rule,
timers and ARI events all wait. ``watch`` wakes every ``every`` seconds and logs
``engine.loop_stalled`` (a warning) when a wake-up came ``threshold`` seconds late.
Every wake-up's lateness is kept (the last ``Lateness.KEEP``): ``/status`` shows its
p50/p99/max (``process.loop_late_ms``), so a benchmark can compare loop health between
runs (``benchmarks/inbound_calls.py`` prints it per round).

    task = asyncio.create_task(loopwatch.watch(lateness))
    lateness.snapshot()   # {"samples": n, "p50_ms": .., "p99_ms": .., "max_ms": ..}
"""

from __future__ import annotations

import asyncio
import collections
import gc
import time

from engine.logs import get_logger

log = get_logger(__name__)


class Lateness:
    """The last ``KEEP`` wake-up delays (seconds) and their distribution. Pure."""

    KEEP = 4800  # 20 minutes of wake-ups every 0.25 s

    def __init__(self) -> None:
        self.recent: collections.deque[float] = collections.deque(maxlen=self.KEEP)
        self.worst = 0.0

    def add(self, late: float) -> None:
        self.recent.append(late)
        self.worst = max(self.worst, late)

    def reset(self) -> None:
        self.recent.clear()
        self.worst = 0.0

    def snapshot(self) -> dict[str, float | int]:
        values = sorted(self.recent)
        if not values:
            return {"samples": 0}

        def at(p: float) -> float:
            return round(values[min(len(values) - 1, int(p * len(values)))] * 1000, 1)

        return {
            "samples": len(values),
            "p50_ms": at(0.5),
            "p99_ms": at(0.99),
            "max_ms": round(values[-1] * 1000, 1),
            "worst_ms": round(self.worst * 1000, 1),
        }


class GcPauses:
    """The garbage collector's pauses (they stop the loop like any blocking call): count,
    total, and the slowest of the last ``KEEP``, per generation, read by ``gc.callbacks``.

        pauses = GcPauses(); pauses.install()   # ... pauses.snapshot(); pauses.remove()
    """

    KEEP = 2000

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.total = 0.0
        self.recent: collections.deque[float] = collections.deque(maxlen=self.KEEP)
        self.worst = 0.0
        self._started = 0.0

    def install(self) -> None:
        if self._callback not in gc.callbacks:
            gc.callbacks.append(self._callback)

    def remove(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        self.count[min(2, info.get("generation", 0))] += 1
        self.total += took
        self.recent.append(took)
        self.worst = max(self.worst, took)

    def snapshot(self) -> dict[str, float | int]:
        values = sorted(self.recent)
        return {
            "collections": sum(self.count),
            "full": self.count[2],
            "total_ms": round(self.total * 1000, 1),
            "p99_ms": round(values[min(len(values) - 1, int(0.99 * len(values)))] * 1000, 2)
            if values
            else 0.0,
            "max_ms": round(self.worst * 1000, 2),
        }


async def watch(
    lateness: Lateness | None = None, every: float = 0.25, threshold: float = 0.5
) -> None:
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(every)
        late = max(0.0, loop.time() - start - every)
        if lateness is not None:
            lateness.add(late)
        if late >= threshold:
            log.warning("engine.loop_stalled", seconds=round(late, 2))
