"""One SQL store for every domain, on SQLite (one box) or PostgreSQL (several engines).

``Database(target, migrations)``: ``target`` is a SQLite file path (``:memory:`` too) or
a ``postgresql://user:pw@host:port/db`` URL. Statements go through SQLAlchemy Core with
the same code on both; each call of a function given to ``run`` gets a SQLAlchemy
``Connection`` inside one transaction, committed when it returns and rolled back when it
raises.

- SQLite: one connection on one dedicated thread (SQLite allows one writer at a time;
  sqlite3 objects are bound to their thread). WAL, ``busy_timeout``, and every
  transaction ``BEGIN IMMEDIATE`` so a writer never upgrades a read lock halfway.
- PostgreSQL (psycopg 3): a connection pool of ``pool_size`` (``database_pool_size``) on
  twice as many threads; a call waits at most ``pool_timeout`` seconds for a connection
  (``database_pool_timeout``, then ``sqlalchemy.exc.TimeoutError``), and a statement
  runs at most ``statement_timeout`` seconds.

Schemas change only through ``Migrations`` sets (``migrations.py``) that each domain
declares next to its tables and passes here; they are applied at ``open``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from engine.store.migrations import Migrations, apply_all

T = TypeVar("T")
SQLITE_BUSY_MS = 5000
SQLITE_CACHE_KB = 65536  # 64 MiB: bulk ingest stays in memory


def is_url(target: str | Path) -> bool:
    return "://" in str(target)


def sqlalchemy_url(target: str | Path) -> str:
    """A SQLite path or a PostgreSQL URL as SQLAlchemy's URL (psycopg 3 driver)."""
    text = str(target)
    if not is_url(text):
        return "sqlite://" if text == ":memory:" else f"sqlite:///{text}"
    url = make_url(text)
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if url.get_backend_name() == "sqlite":
        return text
    raise ValueError(f"database_url: {url.drivername!r} is not supported (postgresql://...)")


def _pragma(dbapi_conn: Any, pragma: str, wait: float = SQLITE_BUSY_MS / 1000) -> None:
    """Run a PRAGMA; one that finds the file locked is tried again for at most ``wait``
    seconds (switching a new file to WAL while another engine does the same answers
    "database is locked" at once, without SQLite's busy handler)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            dbapi_conn.execute(f"PRAGMA {pragma}")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def sqlite_engine(url: str, pragmas: Iterable[str] = ()) -> Engine:
    """A SQLite engine whose transactions are ``BEGIN IMMEDIATE`` (SQLAlchemy's recipe:
    the driver's own implicit BEGIN is turned off) with the engine's pragmas."""
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        for pragma in pragmas:
            _pragma(dbapi_conn, pragma)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    def __init__(
        self,
        target: str | Path,
        migrations: Iterable[Migrations] = (),
        *,
        pool_size: int = 8,
        pool_timeout: float = 10.0,
        statement_timeout: float = 30.0,
    ) -> None:
        self.target = str(target)
        self.url = sqlalchemy_url(target)
        self.dialect = make_url(self.url).get_backend_name()
        self.path = "" if self.dialect != "sqlite" else self.target  # SQLite file or ""
        self._migrations = list(migrations)
        self._pool_size, self._pool_timeout = pool_size, pool_timeout
        self._statement_timeout = statement_timeout
        # PostgreSQL: twice as many threads as connections, so a call that finds every
        # connection busy waits on the pool, at most ``pool_timeout``, then fails
        workers = 1 if self.dialect == "sqlite" else 2 * pool_size
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="db")
        self._engine: Engine | None = None
        self._conn: Connection | None = None  # SQLite: the one connection

    @classmethod
    def for_settings(cls, settings: Any, migrations: Iterable[Migrations] = ()) -> Database:
        """PostgreSQL when ``database_url`` is set, else the SQLite file ``database_path``."""
        return cls(
            settings.database_url or settings.database_path,
            migrations,
            pool_size=settings.database_pool_size,
            pool_timeout=settings.database_pool_timeout,
        )

    @property
    def sqlite(self) -> bool:
        return self.dialect == "sqlite"

    # -- lifecycle ---------------------------------------------------------
    def _open(self) -> None:
        if self.sqlite:
            if self.path and self.path != ":memory:" and not is_url(self.path):
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            pragmas = (  # busy_timeout first: switching a new file to WAL waits too
                f"busy_timeout={SQLITE_BUSY_MS}",
                "journal_mode=WAL",
                "synchronous=NORMAL",
                "foreign_keys=ON",
                f"cache_size=-{SQLITE_CACHE_KB}",
            )
            self._engine = sqlite_engine(self.url, pragmas)
            self._conn = self._engine.connect()
            apply_all(lambda: self._conn, self._migrations)  # type: ignore[arg-type,return-value]
            return
        ms = int(self._statement_timeout * 1000)
        self._engine = create_engine(
            self.url,
            pool_size=self._pool_size,
            max_overflow=0,
            pool_timeout=self._pool_timeout,
            pool_pre_ping=True,
            connect_args={"connect_timeout": 5, "options": f"-c statement_timeout={ms}"},
        )
        try:
            apply_all(self._engine.connect, self._migrations)
        except BaseException:  # unreachable or refused: the next ``open`` starts afresh
            self._engine.dispose()
            self._engine = None
            raise

    async def open(self) -> Database:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._open)
        return self

    def open_sync(self) -> Database:
        self._executor.submit(self._open).result()
        return self

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)

    def close_sync(self) -> None:
        self._executor.submit(self._close).result()
        self._executor.shutdown(wait=True)

    # -- work --------------------------------------------------------------
    def _transaction(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        if self._engine is None:
            raise RuntimeError("database is not open")
        if self._conn is not None:
            with self._conn.begin():
                return fn(self._conn, *args)
        with self._engine.begin() as conn:
            return fn(conn, *args)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` as one transaction (SQLite: on the database thread)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._transaction, fn, args)

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Same as ``run`` for code outside the event loop (CLI tools, imports)."""
        return self._executor.submit(self._transaction, fn, args).result()
