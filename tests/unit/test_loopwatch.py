"""The event-loop stall warning: a blocked loop is reported with how long it was late."""

import asyncio
import time

import structlog

from engine import loopwatch


async def test_a_blocked_loop_is_reported_and_a_free_one_is_not():
    with structlog.testing.capture_logs() as logs:
        task = asyncio.create_task(loopwatch.watch(every=0.02, threshold=0.3))
        await asyncio.sleep(0.1)  # a free loop: nothing said
        # the watcher's own words (other tasks of the session's loop may log meanwhile)
        quiet = [e for e in logs if e["event"] == "engine.loop_stalled"]
        time.sleep(0.6)  # noqa: ASYNC251 - the point: a blocking call on the loop
        await asyncio.sleep(0.05)
        task.cancel()
    assert quiet == []
    stalls = [e for e in logs if e["event"] == "engine.loop_stalled"]
    assert len(stalls) == 1 and stalls[0]["log_level"] == "warning"
    assert 0.5 <= stalls[0]["seconds"] < 2.0
