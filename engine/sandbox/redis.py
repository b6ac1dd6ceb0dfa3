"""A private redis-server on loopback for tests, the demo and benchmarks."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

from engine.sandbox.process import reap, start_server


class RedisError(RuntimeError):
    pass


class RedisServer:
    """``RedisServer(port, workdir).start()`` ... ``.stop()``: no persistence, loopback only,
    in its own session so a Ctrl-C in the terminal does not kill it before the cleanup."""

    def __init__(self, port: int, workdir: str | Path) -> None:
        self.port = port
        self.workdir = Path(workdir)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self, timeout: float = 10.0) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisError("redis-server is not installed (apt-get install redis-server)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", str(self.workdir), "--daemonize", "no"]
        self.proc = start_server(
            argv,
            self.workdir / "redis.log",
            self._ping,
            name=f"redis-server (port {self.port})",
            error=RedisError,
            timeout=timeout,
        )
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            reap(self.proc)
        self.proc = None
