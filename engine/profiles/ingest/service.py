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
    if e.type not in READS_CUSTOMER:
        for w in rows_for(e):
            _run(conn, w)
        return True
    writes.run(conn, ensure_customer(e))  # its fields are set from what the row holds now
    row = writes.customer_row(conn, str(e.customer_id))
    for w in rows_for(e, row)[1:]:  # the customer's row is made sure of already
        _run(conn, w)
    return True


OWNED = {"order": "orders", "ticket": "tickets"}  # rows an event may only change for its
# own customer: refused, rather than written, when the row is another customer's


def _one_by_one(e: Event) -> bool:
    """Events written alone: their customer is found by a contact point (perhaps one an
    earlier event of the batch added), their fields depend on the stored row, or the
    store may refuse them for a reason found only by writing (an intervention's ID)."""
    return (
        e.customer_id is None
        or e.type in READS_CUSTOMER
        or (e.type in MAY_REFUSE and e.type.split(".")[0] not in OWNED)
    )


class _Batch:
    """One batch's writes: events that cannot be refused go in bulk, one
    ``executemany`` per statement (what keeps an import fast, on PostgreSQL above all),
    written out at the end or before a second write to a row the bulk already touches
    (the order of writes to one row is kept). Events written alone touch no row the bulk
    writes but their customer's (made sure of either way): the profile fields, contact
    points and interventions are theirs only. ``result.stored`` keeps the batch order."""

    def __init__(self, db: Connection, batch: Sequence[Event | Failure]) -> None:
        self.db, self.result = db, IngestResult()
        events = [item for item in batch if isinstance(item, Event)]
        self.seen = writes.stored_ids(db, [e.id for e in events])
        self.owners: dict[tuple[str, str], str] = {}
        for kind, table in OWNED.items():
            keys = [str(w.params["id"]) for e in events for w in self._owned(e, kind)]
            for key, cid in writes.owners(db, table, keys).items():
                self.owners[(table, key)] = cid
        self.bulk: list[tuple[int, Event, list[Write]]] = []
        self.touched: set[tuple[str, str]] = set()
        self.stored: list[tuple[int, Event]] = []

    @staticmethod
    def _owned(e: Event, kind: str) -> list[Write]:
        if e.customer_id is None or e.type.split(".")[0] != kind:
            return []
        return rows_for(e)[1:]

    def add(self, index: int, item: Event | Failure) -> None:
        if isinstance(item, Failure):
            self.result.errors.append(item)
        elif item.id in self.seen:
            self.result.duplicates.append(item.id)
        elif _one_by_one(item):
            self.alone(index, item)
        else:
            self.in_bulk(index, item)

    def in_bulk(self, index: int, e: Event) -> None:
        rows = rows_for(e)[1:]
        kind = e.type.split(".")[0]
        keys = [(OWNED[kind], str(w.params["id"])) for w in rows if kind in OWNED]
        for key in keys:
            owner = self.owners.get(key)
            if owner is not None and owner != e.customer_id:
                w = rows[0]
                self.result.errors.append(Failure(index, e.id, w.must_change or "", w.reason))
                return
        if any(key in self.touched for key in keys):
            self.flush()
        for key in keys:
            self.owners[key] = str(e.customer_id)
            self.touched.add(key)
        self.seen.add(e.id)
        self.bulk.append((index, e, rows))

    def alone(self, index: int, item: Event) -> None:
        try:
            event = _resolve(self.db, item)
            if event.type in MAY_REFUSE:
                with self.db.begin_nested():
                    stored = _write_one(self.db, event)
            else:
                stored = _write_one(self.db, event)
        except Refused as exc:
            self.result.errors.append(Failure(index, item.id, exc.field, exc.reason))
            return
        self.seen.add(item.id)
        if stored:
            self.stored.append((index, event))
        else:
            self.result.duplicates.append(item.id)

    def flush(self) -> None:
        if not self.bulk:
            return
        earliest: dict[str, Event] = {}  # one row per customer: PostgreSQL's ON CONFLICT
        for _, e, _ in self.bulk:  # may not touch a row twice in one statement
            cid = str(e.customer_id)
            if cid not in earliest or e.at < earliest[cid].at:
                earliest[cid] = e
        first = [event_row(e) for _, e, _ in self.bulk]
        first += [ensure_customer(e) for e in earliest.values()]
        writes.run_many(self.db, first)
        writes.run_many(self.db, [w for _, _, rows in self.bulk for w in rows])
        self.stored += [(index, e) for index, e, _ in self.bulk]
        self.bulk.clear()
        self.touched.clear()

    def done(self) -> IngestResult:
        self.flush()
        self.result.stored = [e for _, e in sorted(self.stored, key=lambda p: p[0])]
        return self.result


def write_batch(db: Connection, batch: Sequence[Event | Failure]) -> IngestResult:
    """Writes parsed events (``Failure`` entries are passed through); runs inside the
    caller's transaction (``Database.run``). An event ID already stored, or seen earlier
    in the batch, is a duplicate; an order or ticket of another customer is refused;
    events written alone that the store may refuse pay for a savepoint (``_Batch``)."""
    writer = _Batch(db, batch)
    for index, item in enumerate(batch):
        writer.add(index, item)
    return writer.done()


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
