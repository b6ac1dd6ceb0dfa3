"""Generated customers to files and straight into SQLite.

``write_events`` writes every customer's events as JSONL in time order across all
customers (blocks of customers are sorted in memory, spilled to temporary files and
merged, so a million customers need no more memory than one block) and, optionally, the
churn labels as CSV. ``bulk_load`` puts customers, their phone numbers and some risk rows
into a store directly in large ``executemany`` batches: the caller-ID benchmark's
million customers in seconds, without events.
"""

from __future__ import annotations

import csv
import heapq
import random
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import Connection, MetaData, Table

from engine.sim.customers import generate as gen
from engine.store.database import Database
from engine.store.sql import insert

BLOCK = 5_000  # customers sorted in memory at a time
KEY = 15  # width of the time key in spilled lines
NEWLINE = orjson.OPT_APPEND_NEWLINE


@dataclass
class Written:
    customers: int = 0
    events: int = 0
    churned: int = 0


def _block(
    first: int, last: int, seed: int, end: float, days: float, labels: Any, written: Written
) -> list[dict[str, Any]]:
    """Customers ``first..last-1``'s events in time order (stable: a customer's own order
    is kept for events at the same moment)."""
    block: list[dict[str, Any]] = []
    for i in range(first, last):
        events, label = gen.customer(i, seed, end, days)
        block += events
        written.customers += 1
        written.events += len(events)
        written.churned += label.churned
        if labels is not None:
            labels.writerow(
                [
                    label.customer_id,
                    label.archetype,
                    int(label.churned),
                    label.churned_at or "",
                    int(label.opted_out),
                ]
            )
    block.sort(key=itemgetter("at"))
    return block


def _spilled(fh: IO[bytes]) -> Iterator[bytes]:
    fh.seek(0)
    yield from fh


def write_events(
    out: Path,
    customers: int,
    seed: int,
    end: float,
    days: float = 180.0,
    labels_path: Path | None = None,
    progress: Callable[[int], None] = lambda n: None,
    block: int = BLOCK,
) -> Written:
    """Generate ``customers`` customers into ``out`` (JSONL, time order)."""
    written = Written()
    with ExitStack() as stack:
        labels = None
        if labels_path is not None:
            fh = stack.enter_context(open(labels_path, "w", newline="", encoding="utf-8"))
            labels = csv.writer(fh)
            labels.writerow(
                ["customer_id", "archetype", "churned", "churned_at", "prediction_opt_out"]
            )
        dst = stack.enter_context(open(out, "wb"))
        spills: list[IO[bytes]] = []
        for first in range(0, customers, block):
            last = min(customers, first + block)
            lines = _block(first, last, seed, end, days, labels, written)
            progress(last - first)
            if customers <= block:
                dst.writelines(orjson.dumps(e, option=NEWLINE) for e in lines)
                return written
            spill = stack.enter_context(tempfile.TemporaryFile())
            spill.writelines(
                b"%0*.3f%s" % (KEY, e["at"], orjson.dumps(e, option=NEWLINE)) for e in lines
            )
            spills.append(spill)
        for line in heapq.merge(*(_spilled(s) for s in spills)):
            dst.write(line[KEY:])
    return written


def _rows(
    first: int, last: int, seed: int, now: float, risk_share: float
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    rng = random.Random(seed * 31 + first)
    customers, phones, risks = [], [], []
    for i in range(first, last):
        cid = gen.customer_id_of(i)
        opted = rng.random() < gen.OPT_OUT_SHARE
        customers.append(
            (
                cid,
                f"Customer {i}",
                "zh" if rng.random() < 0.88 else "en",
                "Asia/Shanghai",
                now - rng.uniform(1, 1000) * gen.DAY,
                int(opted),
            )
        )
        phones.append(("phone", gen.phone_of(i, seed), cid, now))
        if i % 10 == 3:
            phones.append(("phone", gen.landline_of(i, seed), cid, now))
        if rng.random() < risk_share:
            score = rng.random()
            tier = "high" if score > 0.7 else "medium" if score > 0.4 else "low"
            risks.append((cid, score, tier, "[]", "[]", "bulk", now))
    return customers, phones, risks


def _insert_ignore(db: Connection, name: str, names: tuple[str, ...], rows: list[Any]) -> None:
    """Rows into the profile store's table ``name`` (as the database has it: this module
    does not import the profile store), those already there left as they are."""
    if rows:
        table = Table(name, MetaData(), autoload_with=db)
        stmt = insert(db, table).on_conflict_do_nothing()
        db.execute(stmt, [dict(zip(names, r, strict=True)) for r in rows])


def _insert(db: Connection, rows: tuple[list[tuple[Any, ...]], ...]) -> None:
    customers, phones, risks = rows
    _insert_ignore(
        db,
        "customers",
        ("id", "name", "language", "timezone", "created_at", "prediction_opt_out"),
        customers,
    )
    _insert_ignore(db, "contact_points", ("kind", "value", "customer_id", "added_at"), phones)
    _insert_ignore(
        db,
        "risk",
        ("customer_id", "score", "tier", "tags", "reasons", "model", "scored_at"),
        risks,
    )


def bulk_load(
    db: Database,
    customers: int,
    seed: int = 1,
    now: float = 0.0,
    risk_share: float = 0.2,
    batch: int = 50_000,
    progress: Callable[[int], None] = lambda n: None,
) -> int:
    """Customers ``C0000000``... with their mobile (``generate.phone_of``), a landline for
    one in ten, and a risk row for ``risk_share`` of them; returns how many customers."""
    for first in range(0, customers, batch):
        last = min(customers, first + batch)
        db.run_sync(_insert, _rows(first, last, seed, now, risk_share))
        progress(last - first)
    return customers
