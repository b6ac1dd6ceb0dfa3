"""A health signal for the one event loop everything runs on: when it was blocked.

Media arrives as UDP on the loop; while it is blocked the kernel's receive buffer fills
(about 2 s of a call leg's RTP on loopback) and then drops audio, and the 2-second rule,
timers and ARI events all wait. ``watch`` wakes every ``every`` seconds and logs
``engine.loop_stalled`` (a warning) when a wake-up came ``threshold`` seconds late.

    task = asyncio.create_task(loopwatch.watch())
"""

from __future__ import annotations

import asyncio

from engine.logs import get_logger

log = get_logger(__name__)


async def watch(every: float = 0.25, threshold: float = 0.5) -> None:
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(every)
        late = loop.time() - start - every
        if late >= threshold:
            log.warning("engine.loop_stalled", seconds=round(late, 2))
