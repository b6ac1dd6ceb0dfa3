"""Recognition workers yield the CPU to call control: their OS threads run at the pool's
nice under SCHED_BATCH (read back from /proc, as ``top -H`` would show them), while the
event loop's thread and the IVR lane keep normal priority."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

from engine.speech.pool import RecognitionPool


def nice_and_policy(tid: int | None) -> tuple[int, int]:
    """(nice, scheduling policy) of one OS thread of this process, from /proc."""
    raw = Path(f"/proc/{os.getpid()}/task/{tid}/stat").read_text()
    fields = raw.rsplit(")", 1)[1].split()  # from field 3 (state) on: nice 19, policy 41
    return int(fields[16]), int(fields[38])


async def test_workers_run_niced_and_batch_while_the_loop_and_ivr_lane_do_not():
    pool = RecognitionPool(workers=2, nice=12)
    pool.start()
    for _ in range(200):  # the workers set their priority as they start
        if len(pool.priority) == 2:
            break
        await asyncio.sleep(0.01)
    try:
        mine = {t.name: t.native_id for t in pool._threads}
        assert set(mine) == {"speech-ivr", "speech-worker-0", "speech-worker-1"}
        assert nice_and_policy(mine["speech-worker-0"]) == (12, os.SCHED_BATCH)
        assert nice_and_policy(mine["speech-worker-1"]) == (12, os.SCHED_BATCH)
        assert nice_and_policy(mine["speech-ivr"]) == (0, os.SCHED_OTHER)
        assert nice_and_policy(threading.get_native_id()) == (0, os.SCHED_OTHER)  # the loop
        assert pool.stats()["priority"] == {
            "speech-worker-0": {"nice": 12, "policy": "batch"},
            "speech-worker-1": {"nice": 12, "policy": "batch"},
        }
    finally:
        await pool.close()
