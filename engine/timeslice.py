"""Ask the kernel for a short CPU time slice for the calling thread (the event loop).

Linux's EEVDF scheduler (6.6+; custom slices since 6.12) gives each task a slice, by
default about 1.4 ms here. A task that wakes on a busy CPU waits until the running one
has used its slice, unless its own deadline is earlier; a task with a shorter slice has
an earlier deadline, and so preempts sooner. Call control is many short bursts (an ARI
event, a reply, a Redis answer): on a machine that Asterisk keeps busy, each woken burst
of the event loop waited behind a thread of Asterisk, and those waits, not the loop's
work, made the slow call set-ups (``benchmarks/inbound_calls.py`` prints how long the
loop ran and how long it waited for a CPU). A short slice asks for no more CPU, only for
it sooner. No privilege is needed; kernels without custom slices ignore the request.

    set_slice(0.2)   # ms; -> the slice the kernel holds (ms), or None if unknown
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import sys
import threading
from pathlib import Path

SCHED_SETATTR = {"x86_64": 314, "aarch64": 274}.get(platform.machine())
MIN_MS, MAX_MS = 0.1, 100.0  # what the kernel accepts (it clamps to this range)


class _SchedAttr(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_uint32),
        ("sched_policy", ctypes.c_uint32),
        ("sched_flags", ctypes.c_uint64),
        ("sched_nice", ctypes.c_int32),
        ("sched_priority", ctypes.c_uint32),
        ("sched_runtime", ctypes.c_uint64),
        ("sched_deadline", ctypes.c_uint64),
        ("sched_period", ctypes.c_uint64),
        ("sched_util_min", ctypes.c_uint32),
        ("sched_util_max", ctypes.c_uint32),
    ]


def current_slice_ms() -> float | None:
    """This thread's slice as the kernel reports it (``se.slice``), or None."""
    with contextlib.suppress(OSError, ValueError):
        path = Path(f"/proc/self/task/{threading.get_native_id()}/sched")
        for line in path.read_text().splitlines():
            if line.startswith("se.slice"):
                return int(float(line.split(":")[1])) / 1e6
    return None


def set_slice(ms: float) -> float | None:
    """Set the calling thread's slice to ``ms`` (normal policy and its nice kept) and
    return the slice the kernel holds. 0 leaves it as it is. Never raises. Threads and
    processes this thread starts afterwards inherit the slice (``reset`` undoes it)."""
    if ms <= 0:
        return current_slice_ms()
    return _set_runtime(int(min(max(ms, MIN_MS), MAX_MS) * 1e6))


def reset() -> float | None:
    """Back to the kernel's default slice (a process started by the event loop's thread
    inherits its short slice: the recognizer processes do not want it)."""
    return _set_runtime(0)


def _set_runtime(ns: int) -> float | None:
    if not sys.platform.startswith("linux") or SCHED_SETATTR is None:
        return current_slice_ms()
    attr = _SchedAttr(
        size=ctypes.sizeof(_SchedAttr),
        sched_policy=os.SCHED_OTHER,
        sched_nice=os.getpriority(os.PRIO_PROCESS, 0),
        sched_runtime=ns,
    )
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).syscall(SCHED_SETATTR, 0, ctypes.byref(attr), 0)
    return current_slice_ms()
