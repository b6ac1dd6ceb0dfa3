"""Start a helper server (redis-server, postgres) and wait until it answers.

Shared by ``engine.sandbox.redis`` and ``engine.sandbox.postgres``: the server runs in
its own session (a Ctrl-C in the terminal does not kill it before the cleanup) with its
output in a log file whose tail is the error when it exits at start.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def start_server(
    argv: list[str],
    log: Path,
    ready: Callable[[], bool],
    *,
    name: str,
    error: type[Exception],
    timeout: float,
    poll: float = 0.05,
) -> subprocess.Popen[bytes]:
    """Run ``argv`` with its output appended to ``log`` and return once ``ready()`` is
    true. Raises ``error`` with the log's tail if the server exits first, or (after
    stopping it) if it is not ready within ``timeout`` seconds."""
    with open(log, "ab") as out:  # the child keeps its copy
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-800:]
            raise error(f"{name} exited at start:\n{tail}")
        if ready():
            return proc
        time.sleep(poll)
    proc.terminate()
    reap(proc)
    raise error(f"{name} did not answer in {timeout}s (log: {log})")


def reap(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Wait for a stopping server; killed if it takes longer than ``timeout``."""
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
