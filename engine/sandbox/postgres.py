"""A private PostgreSQL server on loopback for tests and benchmarks (Debian's
``postgresql`` package: ``initdb`` and ``postgres`` from ``/usr/lib/postgresql/N/bin``).

PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user
(``runuser``) in a folder of its own; its user ``tenure`` logs in without a password from
loopback only. Durability is off (``fsync``): this server holds test data.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

from engine.sandbox.process import reap, start_server

USER = "tenure"


class PostgresError(RuntimeError):
    pass


def free_low_port() -> int:
    """A free loopback port below the ephemeral range (10000-14999: no sandbox uses it)."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(10000, 15000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise PostgresError("no free port in 10000-14999")


def bin_dir() -> Path:
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if not found:
        raise PostgresError("PostgreSQL is not installed (apt-get install postgresql)")
    return found[-1].parent


class PostgresServer:
    """``PostgresServer(port).start()`` ... ``.stop()``; ``url(db)`` to connect,
    ``create_database(name, template)`` for a fresh database."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None
        self.workdir: Path | None = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def _as_owner(self, *argv: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else list(argv)

    def start(self, timeout: float = 30.0) -> PostgresServer:
        bins = bin_dir()
        self.workdir = Path(tempfile.mkdtemp(prefix="tenure-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
        data, log = self.workdir / "data", self.workdir / "server.log"
        done = subprocess.run(
            self._as_owner(
                str(bins / "initdb"),
                "-D",
                str(data),
                "-U",
                USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise PostgresError(f"initdb failed: {done.stderr.strip()[-800:]}")
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.workdir),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "300",
        }
        argv = [str(bins / "postgres"), "-D", str(data)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        try:
            self.proc = start_server(
                self._as_owner(*argv),
                log,
                self._answers,
                name=f"postgres (port {self.port})",
                error=PostgresError,
                timeout=timeout,
                poll=0.1,
            )
        except PostgresError:
            self.stop()  # its folder goes
            raise
        return self

    def _answers(self) -> bool:
        try:
            psycopg.connect(self.url(), connect_timeout=1).close()
            return True
        except psycopg.OperationalError:
            return False

    def create_database(self, name: str, template: str = "template0") -> str:
        """A new, empty database (or a copy of ``template``); returns its URL."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            data = str((self.workdir or Path()) / "data")
            subprocess.run(
                self._as_owner(str(bin_dir() / "pg_ctl"), "-D", data, "stop", "-m", "fast"),
                capture_output=True,
            )
            reap(self.proc, 20)
        self.proc = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
