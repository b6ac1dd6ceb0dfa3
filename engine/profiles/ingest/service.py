"""The profile store's ingest: parsed events written to the store, then handed to listeners.

One batch is one transaction on the Database thread. A batch with some bad events keeps
the good ones and reports the bad ones by index and field: a malformed event never
reaches the store, and one the store refuses (an unknown intervention, an order of another
customer, an unknown contact point) is rolled back to its own SAVEPOINT, so it changes
nothing. An event ID already stored is a duplicate:
nothing changes. After the commit, every listener gets the newly stored events, in order
(the risk scorer, proactive care through ``per_event``); a failing listener is logged and
does not undo the ingest.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from engine.logs import get_logger
from engine.profiles.ingest import phones, writes
from engine.profiles.ingest.event_rows import (
    MAY_REFUSE,
    READS_CUSTOMER,
    Write,
    ensure_customer,
    event_row,
    rows_for,
)
from engine.profiles.ingest.events import Event, EventError, parse
from engine.profiles.ingest.store import customer_view, events_since
from engine.profiles.schema import contact_points
from engine.store.database import Database

log = get_logger(__name__)
Listener = Callable[[list[Event]], Awaitable[object]]
PARSE_SLICE = 50  # events parsed between yields to the event loop (~0.5 ms)


@dataclass(frozen=True)
class Failure:
    index: int  # position in the batch
    id: str | None  # the event's ID, when it had a usable one
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.id, "field": self.field, "reason": self.reason}


@dataclass
class IngestResult:
    stored: list[Event] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # event IDs already stored
    errors: list[Failure] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stored": len(self.stored),
            "duplicates": len(self.duplicates),
            "duplicate_ids": self.duplicates,
            "errors": [e.as_dict() for e in self.errors],
        }


class Refused(Exception):
    """The store refused one event; its savepoint is rolled back."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def _resolve(db: Connection, e: Event) -> Event:
    if e.customer_id is not None:
        return e
    cp = contact_points.c
    for kind, value in e.contacts:
        forms = phones.variants(value) if kind == "phone" else [value]
        query = select(cp.customer_id).where(cp.kind == kind, cp.value.in_(forms)).limit(1)
        found = db.execute(query).scalar()
        if found is not None:
            return dataclasses.replace(e, customer_id=found)
    shown = ", ".join(f"{k} {v}" for k, v in e.contacts)
    raise Refused("customer_id", f"is missing and no customer has {shown}")


def _run(conn: Connection, w: Write) -> None:
    if writes.run(conn, w) == 0 and w.must_change:
        raise Refused(w.must_change, w.reason)


def _write_one(conn: Connection, e: Event) -> bool:
    """Stores one event; False when its ID is already stored (a duplicate)."""
    if writes.run(conn, event_row(e)) == 0:
        return False
    row = None
    if e.type in READS_CUSTOMER:  # its fields are set from what the row holds now
        writes.run(conn, ensure_customer(e))
        row = writes.customer_row(conn, str(e.customer_id))
    for w in rows_for(e, row):
        _run(conn, w)
    return True


def _one_by_one(e: Event) -> bool:
    """Events written alone: their customer is found by a contact point (perhaps one an
    earlier event of the batch added), their fields depend on the stored row, or the
    store may refuse them."""
    return e.customer_id is None or e.type in READS_CUSTOMER or e.type in MAY_REFUSE


def _flush(db: Connection, bulk: list[Event], result: IngestResult) -> None:
    if not bulk:
        return
    earliest: dict[str, Event] = {}  # one row per customer: PostgreSQL's ON CONFLICT
    for e in bulk:  # may not touch a row twice in one statement
        cid = str(e.customer_id)
        if cid not in earliest or e.at < earliest[cid].at:
            earliest[cid] = e
    first = [event_row(e) for e in bulk]
    first += [ensure_customer(e) for e in earliest.values()]
    writes.run_many(db, first)
    writes.run_many(db, [w for e in bulk for w in rows_for(e)[1:]])
    result.stored += bulk
    bulk.clear()


def write_batch(db: Connection, batch: Sequence[Event | Failure]) -> IngestResult:
    """Writes parsed events (``Failure`` entries are passed through); runs inside the
    caller's transaction (``Database.run``). Events that cannot be refused and do not
    read the stored row go in bulk (one ``executemany`` per statement, which is what
    keeps a PostgreSQL import fast); the others one by one in batch order, and only
    those the store may refuse pay for a savepoint. An event ID already stored, or seen
    earlier in the batch, is a duplicate."""
    result = IngestResult()
    ids = [item.id for item in batch if isinstance(item, Event)]
    seen = writes.stored_ids(db, ids)
    bulk: list[Event] = []
    for index, item in enumerate(batch):
        if isinstance(item, Failure):
            result.errors.append(item)
            continue
        if item.id in seen:
            result.duplicates.append(item.id)
            continue
        if not _one_by_one(item):
            seen.add(item.id)
            bulk.append(item)
            continue
        _flush(db, bulk, result)  # what came before is written first
        try:
            event = _resolve(db, item)
            if event.type in MAY_REFUSE:
                with db.begin_nested():
                    stored = _write_one(db, event)
            else:
                stored = _write_one(db, event)
        except Refused as exc:
            result.errors.append(Failure(index, item.id, exc.field, exc.reason))
            continue
        seen.add(item.id)
        if stored:
            result.stored.append(event)
        else:
            result.duplicates.append(item.id)
    _flush(db, bulk, result)
    return result


def parse_batch(raws: Iterable[Any], now: float) -> list[Event | Failure]:
    out: list[Event | Failure] = []
    for index, raw in enumerate(raws):
        try:
            out.append(parse(raw, now))
        except EventError as exc:
            given = raw.get("id") if isinstance(raw, dict) else None
            out.append(
                Failure(index, given if isinstance(given, str) else None, exc.field, exc.reason)
            )
    return out


def _shifted(item: Event | Failure, offset: int) -> Event | Failure:
    if isinstance(item, Failure) and offset:
        return Failure(item.index + offset, item.id, item.field, item.reason)
    return item


def per_event(handler: Callable[[dict[str, Any]], Awaitable[Any]]) -> Listener:
    """A listener that hands each stored event to ``handler`` as an envelope dict with
    ``at`` in epoch seconds (e.g. ``Retention.on_event``)."""

    async def listener(events: list[Event]) -> None:
        for e in events:
            await handler(e.envelope())

    return listener


class ProfileStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock
        self.listeners: list[Listener] = []

    async def ingest(self, raws: Iterable[Any]) -> IngestResult:
        """Validate, store (one transaction) and announce a batch of raw envelopes."""
        parsed: list[Event | Failure] = []
        items, now = list(raws), self.clock()
        for start in range(0, len(items), PARSE_SLICE):  # the event loop stays responsive
            if start:
                await asyncio.sleep(0)
            chunk = parse_batch(items[start : start + PARSE_SLICE], now)
            parsed += [_shifted(p, start) for p in chunk]
        result = await self.db.run(write_batch, parsed)
        if result.stored:
            for listener in list(self.listeners):
                try:
                    await listener(result.stored)
                except Exception:
                    log.exception("profiles.listener_failed", listener=repr(listener))
        return result

    async def customer(self, customer_id: str) -> dict[str, Any] | None:
        """Profile, contact points, recent conversations, open tickets and risk."""
        return await self.db.run(customer_view, customer_id)

    async def history(
        self, customer_id: str, since: float = 0.0, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """The customer's stored events from ``since`` on, oldest first."""
        return await self.db.run(events_since, customer_id, since, limit)
