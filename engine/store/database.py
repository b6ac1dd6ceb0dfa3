"""SQLite through sqlite-utils, with every statement on one dedicated thread.

sqlite3 objects are bound to the thread that made them, and SQLite allows one
writer at a time, so the engine owns exactly one connection on one thread and
hands it work through ``run``. Reads and writes queue in order; each call of a
function given to ``run`` is one transaction (``BEGIN IMMEDIATE``), committed
when it returns and rolled back when it raises.

Schemas change only through ``sqlite_utils.Migrations`` sets that each domain
declares next to its tables and passes to ``Database``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils
from sqlite_utils import Migrations

T = TypeVar("T")


class Database:
    def __init__(self, path: str | Path, migrations: Iterable[Migrations] = ()) -> None:
        self.path = str(path)
        self._migrations = list(migrations)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._db: sqlite_utils.Database | None = None

    # -- lifecycle ---------------------------------------------------------
    def _open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA cache_size=-65536")  # 64 MiB: bulk ingest stays in memory
        db = sqlite_utils.Database(conn)
        for migration_set in self._migrations:
            migration_set.apply(db)
        self._db = db

    async def open(self) -> Database:
        await asyncio.get_running_loop().run_in_executor(self._executor, self._open)
        return self

    def open_sync(self) -> Database:
        self._executor.submit(self._open).result()
        return self

    async def close(self) -> None:
        def _close() -> None:
            if self._db is not None:
                self._db.conn.close()
                self._db = None

        await asyncio.get_running_loop().run_in_executor(self._executor, _close)
        self._executor.shutdown(wait=True)

    def close_sync(self) -> None:
        def _close() -> None:
            if self._db is not None:
                self._db.conn.close()
                self._db = None

        self._executor.submit(_close).result()
        self._executor.shutdown(wait=True)

    # -- work --------------------------------------------------------------
    def _transaction(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        db = self._db
        if db is None:
            raise RuntimeError("database is not open")
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(db, *args)
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")
        return result

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(db, *args)`` on the database thread as one transaction."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._transaction, fn, args)

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        """Same as ``run`` for code outside the event loop (CLI tools, imports)."""
        return self._executor.submit(self._transaction, fn, args).result()
