"""Recognition workers yield the CPU to call control: their OS threads run at the pool's
nice under SCHED_BATCH (read back from /proc, as ``top -H`` would show them), while the
event loop's thread and the IVR lane keep normal priority."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from engine.speech.pool import RecognitionPool


def threads_by_name() -> dict[str, list[tuple[int, int]]]:
    """Thread name -> [(nice, scheduling policy)] of this process's OS threads."""
    out: dict[str, list[tuple[int, int]]] = {}
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        raw = (task / "stat").read_text()
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw.rsplit(")", 1)[1].split()
        # after the name: state is field 3, nice field 19, policy field 41 (proc(5))
        out.setdefault(name, []).append((int(fields[16]), int(fields[38])))
    return out


def main_thread_nice() -> int:
    raw = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/stat").read_text()
    return int(raw.rsplit(")", 1)[1].split()[16])


async def test_workers_run_niced_and_batch_while_the_loop_and_ivr_lane_do_not():
    pool = RecognitionPool(workers=2, nice=12)
    pool.start()
    for _ in range(200):  # the workers set their priority as they start
        if len(pool.priority) == 2:
            break
        await asyncio.sleep(0.01)
    try:
        seen = threads_by_name()
        workers = seen["speech-worker-0"] + seen["speech-worker-1"]
        assert workers == [(12, os.SCHED_BATCH)] * 2
        assert seen["speech-ivr"] == [(0, os.SCHED_OTHER)]
        assert main_thread_nice() == 0  # the event loop's thread
        assert pool.stats()["priority"] == {
            "speech-worker-0": {"nice": 12, "policy": "batch"},
            "speech-worker-1": {"nice": 12, "policy": "batch"},
        }
    finally:
        await pool.close()
