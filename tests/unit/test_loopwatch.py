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


def test_lateness_gives_the_distribution_of_wake_up_delays():
    lateness = loopwatch.Lateness()
    assert lateness.snapshot() == {"samples": 0}
    for late in [0.001] * 98 + [0.2, 1.5]:
        lateness.add(late)
    assert lateness.snapshot() == {
        "samples": 100,
        "p50_ms": 1.0,
        "p99_ms": 1500.0,
        "max_ms": 1500.0,
        "worst_ms": 1500.0,
    }


async def test_the_watcher_records_every_wake_up():
    lateness = loopwatch.Lateness()
    task = asyncio.create_task(loopwatch.watch(lateness, every=0.01, threshold=10.0))
    await asyncio.sleep(0.1)
    time.sleep(0.2)  # noqa: ASYNC251 - a blocked loop shows in the maximum
    await asyncio.sleep(0.03)
    task.cancel()
    snapshot = lateness.snapshot()
    assert int(snapshot["samples"]) >= 3 and snapshot["max_ms"] >= 150


def test_gc_pauses_are_counted_per_generation_while_installed():
    import gc

    from engine.loopwatch import GcPauses

    pauses = GcPauses()
    pauses.install()
    try:
        junk = [[i] for i in range(20000)]  # something to collect
        del junk
        gc.collect()
        gc.collect(0)
        got = pauses.snapshot()
        assert got["collections"] >= 2 and got["full"] >= 1
        assert got["max_ms"] > 0 and got["total_ms"] >= got["max_ms"]
    finally:
        pauses.remove()
    before = pauses.snapshot()["collections"]
    gc.collect()
    assert pauses.snapshot()["collections"] == before, "removed: no longer counted"
