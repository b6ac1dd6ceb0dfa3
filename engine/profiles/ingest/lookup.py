"""Caller ID -> customer, on every call's critical path (``CallerLookup``).

One indexed query over ``contact_points`` (primary key ``kind, value``) joined to
``customers`` and ``risk``, for every form the number may be stored in
(``phones.variants``: with or without ``+``, country code 86 or 1, trunk ``0``); the most
exact form found wins. It never queues behind the engine's writer:

- SQLite: its own read-only connection (WAL lets it read beside the writer). By default
  the query runs right on the event loop: it takes tens of microseconds from the page
  cache, and skipping the hop to a thread and back keeps the tail short on a busy machine
  (``workers=N`` runs it on a pool of N threads instead);
- PostgreSQL: its own small pool of connections, on ``workers`` threads (4 by default),
  each query bounded by ``STATEMENT_MS``.

A locked, missing or slow database answers "unknown caller" rather than waiting.
Customers who opted out of prediction come back without risk.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, bindparam, create_engine, event, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from engine.calls.ports import Caller
from engine.logs import get_logger
from engine.profiles.ingest import phones
from engine.profiles.schema import contact_points, customers, risk
from engine.store.database import is_url, sqlalchemy_url
from engine.store.sql import Prepared

log = get_logger(__name__)
T = TypeVar("T")
BUSY_MS = 20  # SQLite: the most a lookup waits for a lock (rare in WAL mode)
STATEMENT_MS = 500  # PostgreSQL: the most a lookup's query runs
PG_WORKERS = 4
WARM_WAIT = 2.0  # seconds the start-up warming waits for every worker thread at most
# looked up once at start, one of each shape a caller ID comes in (each shape has its
# own number of stored forms, so its own statement); no customer needs to have them
WARM_NUMBERS = ("+8613800000000", "+442071234567", "13800000000", "013800000000", "2025550100")
cp, c, r = contact_points.c, customers.c, risk.c


@cache
def query(forms: int) -> Prepared:
    """The lookup for ``forms`` forms of a number (``f0``, ``f1``...), compiled once."""
    return Prepared(
        select(cp.value, c.id, c.name, c.language, c.prediction_opt_out, r.tier, r.score)
        .select_from(
            contact_points.join(customers, c.id == cp.customer_id).outerjoin(
                risk, r.customer_id == c.id
            )
        )
        .where(cp.kind == "phone", cp.value.in_([bindparam(f"f{i}") for i in range(forms)]))
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


def find(conn: Connection, number: str) -> Caller | None:
    """The customer whose phone is ``number`` in any of its forms, or None."""
    forms = phones.variants(number)
    if not forms:
        return None
    cursor = query(len(forms)).execute(conn, {f"f{i}": f for i, f in enumerate(forms)})
    rows: list[tuple[Any, ...]] = [tuple(r) for r in cursor.fetchall()]
    cursor.close()
    if not rows:
        return None
    rank = {v: i for i, v in enumerate(forms)}
    return caller_of(min(rows, key=lambda row: rank[row[0]]))


class StoreLookup:
    def __init__(self, target: str | Path, workers: int = 0) -> None:
        self.target = str(target)
        self.sqlite = not is_url(self.target) or self.target.startswith("sqlite")
        if not self.sqlite and not workers:
            workers = PG_WORKERS
        self._pool = (
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lookup")
            if workers
            else None
        )
        self._workers = workers
        self._local = threading.local()
        self._engine: Engine | None = None
        self._conns: list[Connection] = []
        self._lock = threading.Lock()

    def _make_engine(self) -> Engine | None:
        if not self.sqlite:
            return create_engine(
                sqlalchemy_url(self.target),
                pool_size=self._workers,
                max_overflow=0,
                pool_timeout=STATEMENT_MS / 1000,
                pool_pre_ping=True,
                isolation_level="AUTOCOMMIT",
                connect_args={
                    "connect_timeout": 2,
                    "options": f"-c statement_timeout={STATEMENT_MS}",
                },
            )
        if self.target == ":memory:" or not Path(self.target).exists():
            return None
        uri = Path(self.target).resolve().as_uri()  # file:///...
        engine = create_engine(
            f"sqlite:///{uri}?mode=ro&uri=true",
            isolation_level="AUTOCOMMIT",
            connect_args={"check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute("PRAGMA query_only=1")
            dbapi_conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            dbapi_conn.execute("PRAGMA mmap_size=268435456")  # reads without a syscall each

        return engine

    def _conn(self) -> Connection | None:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            with self._lock:
                if self._engine is None:
                    self._engine = self._make_engine()
                if self._engine is None:
                    return None
                conn = self._engine.connect()
                self._conns.append(conn)
            self._local.conn = conn
        return conn

    def _safely(self, what: str, fn: Callable[[Connection], T]) -> T | None:
        conn = self._conn()
        if conn is None:
            return None
        try:
            return fn(conn)
        except (SQLAlchemyError, DBAPIError, Exception) as exc:  # no tables yet, locked, slow
            log.warning(what, error=str(exc).splitlines()[0])
            if not self.sqlite:  # a broken connection is not reused
                conn.invalidate()
                self._local.conn = None
            return None

    def identify_sync(self, caller_number: str) -> Caller | None:
        return self._safely("lookup.failed", lambda conn: find(conn, caller_number))

    def read_sync(self, fn: Callable[..., T], *args: Any) -> T | None:
        return self._safely("lookup.read_failed", lambda conn: fn(conn, *args))

    async def read(self, fn: Callable[..., T], *args: Any) -> T | None:
        """``fn(conn, *args)`` beside the writer (None while there is no database): for
        other critical-path reads, e.g. the caller's spend for the value percentile."""
        if self._pool is None:
            return self.read_sync(fn, *args)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: self.read_sync(fn, *args))

    async def identify(self, caller_number: str) -> Caller | None:
        if self._pool is None:
            return self.identify_sync(caller_number)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.identify_sync, caller_number)

    async def warm(self) -> None:
        """Before the first call: the database engine, a connection per worker thread and
        the lookup's statements, made now rather than while a caller waits (the first
        call after a start took about 4 ms more for them). No database yet: nothing."""
        if self._pool is None:
            self._warm_here()
            return
        # one at a time per thread: each task waits at the barrier until every worker
        # thread holds one, so every thread opens its own connection
        barrier = threading.Barrier(self._workers, timeout=WARM_WAIT)

        def warm_one() -> None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
            self._warm_here()

        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(self._pool, warm_one) for _ in range(self._workers))
        )

    def _warm_here(self) -> None:
        for number in WARM_NUMBERS:
            self.identify_sync(number)

    @property
    def connections(self) -> int:
        """Connections open to the database (one per thread that looked up)."""
        return len(self._conns)

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None
