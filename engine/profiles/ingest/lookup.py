"""Caller ID -> customer, on every call's critical path (``CallerLookup``).

One indexed query over ``contact_points`` (primary key ``kind, value``) joined to
``customers`` and ``risk``, for every form the number may be stored in
(``phones.variants``: with or without ``+``, country code 86 or 1, trunk ``0``); the most
exact form found wins. It runs on its own read-only SQLite connection (WAL lets it read
beside the engine's writer), never behind the writer's queue, so a long ingest batch does
not hold a ringing call. By default the query runs right on the event loop: it takes tens
of microseconds from the page cache, and skipping the hop to a thread and back keeps the
tail short on a busy machine (``workers=N`` runs it on a pool of N threads instead).
A locked or missing database answers "unknown caller" rather than waiting. Customers who
opted out of prediction come back without risk.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from engine.calls.ports import Caller
from engine.logs import get_logger
from engine.profiles.ingest import phones

log = get_logger(__name__)
T = TypeVar("T")
BUSY_MS = 20  # the most a lookup waits for a lock (rare in WAL mode)
SQL = (
    "SELECT cp.value, c.id, c.name, c.language, c.prediction_opt_out, r.tier, r.score "
    "FROM contact_points cp JOIN customers c ON c.id = cp.customer_id "
    "LEFT JOIN risk r ON r.customer_id = c.id WHERE cp.kind = 'phone' AND cp.value IN ({})"
)


def caller_of(row: tuple[Any, ...]) -> Caller:
    _, customer_id, name, language, opted_out, tier, score = row
    if opted_out:
        tier = score = None
    return Caller(
        str(customer_id),
        name=name or "",
        language=language or None,
        risk_tier=tier,
        risk_score=None if score is None else float(score),
    )


def find(conn: sqlite3.Connection, number: str) -> Caller | None:
    """The customer whose phone is ``number`` in any of its forms, or None."""
    forms = phones.variants(number)
    if not forms:
        return None
    rows = conn.execute(SQL.format(",".join("?" * len(forms))), forms).fetchall()
    if not rows:
        return None
    rank = {v: i for i, v in enumerate(forms)}
    return caller_of(min(rows, key=lambda r: rank[r[0]]))


class StoreLookup:
    def __init__(self, path: str | Path, workers: int = 0) -> None:
        self.path = str(path)
        self._pool = (
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lookup")
            if workers
            else None
        )
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection | None:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.path == ":memory:" or not Path(self.path).exists():
                return None
            uri = Path(self.path).resolve().as_uri() + "?mode=ro"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            conn.execute("PRAGMA query_only=1")
            conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            conn.execute("PRAGMA mmap_size=268435456")  # reads without a syscall each
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    def identify_sync(self, caller_number: str) -> Caller | None:
        conn = self._conn()
        if conn is None:
            return None
        try:
            return find(conn, caller_number)
        except sqlite3.Error as exc:  # tables not there yet, locked, or closed
            log.warning("lookup.failed", error=str(exc))
            return None

    def read(self, fn: Callable[..., T], *args: Any) -> T | None:
        """``fn(sqlite_utils.Database, *args)`` on this read-only connection, right here
        (None while there is no database). For other critical-path reads, e.g. the
        caller's spend for the value percentile."""
        conn = self._conn()
        if conn is None:
            return None
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite_utils.Database(conn)
        try:
            return fn(db, *args)
        except sqlite3.Error as exc:
            log.warning("lookup.read_failed", error=str(exc))
            return None

    async def identify(self, caller_number: str) -> Caller | None:
        if self._pool is None:
            return self.identify_sync(caller_number)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.identify_sync, caller_number)

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
