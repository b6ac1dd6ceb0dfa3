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
