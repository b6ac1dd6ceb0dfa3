"""Bulk import of profile events from a file (``python -m engine profiles import``).

- JSONL: one event envelope per line; blank lines are skipped.
- CSV: a header row; columns ``id``, ``type``, ``customer_id``, ``at``, ``source`` form
  the envelope and every other column is a ``data`` field. An empty cell means the field
  is absent. Cells are read by field: numbers for ``amount``, ``stars``, ``loyalty_points``
  ...; ``true``/``false`` (or 1/0, yes/no) for the opt-outs; lists (``phones``, ``emails``,
  ``chat_ids``, ``messaging_ids``, ``complaint_words``) separated by ``;``; a cell starting
  with ``[`` or ``{`` is read as JSON.

Events are stored in batches (one transaction each) through the profile store's writer;
listeners (care, re-scoring) are not called: an import loads history. A bad line is
reported as ``FILE:LINE: field: reason`` and skipped; the good ones are kept.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection

from engine.profiles.ingest.events import CSV_KINDS
from engine.profiles.ingest.service import Failure, parse_batch, write_batch
from engine.store.database import Database

ENVELOPE = ("id", "type", "customer_id", "at", "source")
TRUE, FALSE = {"true", "1", "yes", "y", "t"}, {"false", "0", "no", "n", "f"}
IMPORT_CACHE_KB = 256 * 1024
IMPORT_CHECKPOINT_PAGES = 20000
Line = tuple[int, Any]  # (line number, event dict or the reason it is unreadable)


@dataclass
class Summary:
    stored: int = 0
    duplicates: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    lines: int = 0


def jsonl_lines(path: Path) -> Iterator[Line]:
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield number, orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield number, f"event: not valid JSON ({exc})"


def cell(name: str, text: str) -> Any:
    """A CSV cell as the JSON value the field expects; ValueError says why not."""
    text = text.strip()
    if text[:1] in ("[", "{"):
        return orjson.loads(text)
    kind = CSV_KINDS.get(name, "str")
    if kind == "int":
        return int(text)
    if kind == "number" or (kind == "time" and text.replace(".", "", 1).isdigit()):
        return float(text)
    if kind == "bool":
        if text.lower() not in TRUE | FALSE:
            raise ValueError(f"{text!r} is not true or false")
        return text.lower() in TRUE
    if kind == "list":
        return [part.strip() for part in text.split(";") if part.strip()]
    return text


def csv_event(row: dict[str, str | None]) -> dict[str, Any]:
    event: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for name, text in row.items():
        if name is None or text is None or not text.strip():
            continue
        where = name if name in ENVELOPE else f"data.{name}"
        try:
            value = cell(name, text)
        except (ValueError, orjson.JSONDecodeError) as exc:
            raise ValueError(f"{where}: cannot read {text!r} ({exc})") from None
        (event if name in ENVELOPE else data)[name] = value
    return event | {"data": data}


def csv_lines(path: Path) -> Iterator[Line]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = {"id", "type"} - set(reader.fieldnames or ())
        if missing:
            yield 1, f"header: missing column(s) {', '.join(sorted(missing))}"
            return
        for row in reader:
            if None in row:
                yield reader.line_num, "row: more cells than the header has columns"
                continue
            try:
                yield reader.line_num, csv_event(row)
            except ValueError as exc:
                yield reader.line_num, str(exc)


def tune_for_import(db: Connection) -> None:
    """SQLite settings of the import's own connection (run once through
    ``Database.run_sync``): a large page cache and rarer WAL checkpoints halve the writes
    of a big import, whose index inserts land all over the file."""
    db.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KB}")
    db.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {IMPORT_CHECKPOINT_PAGES}")


def import_events(
    db: Database,
    lines: Iterator[Line],
    batch: int = 1000,
    on_bad: Callable[[int, str], None] = lambda n, r: None,
    progress: Callable[[int], None] = lambda n: None,
) -> Summary:
    """Store every readable line, ``batch`` events per transaction."""
    summary = Summary()
    pending: list[Line] = []

    def flush() -> None:
        parsed = parse_batch([event for _, event in pending], time.time())
        result = db.run_sync(write_batch, parsed)
        summary.stored += len(result.stored)
        summary.duplicates += len(result.duplicates)
        for failure in result.errors:
            _bad(pending[failure.index][0], failure)
        progress(len(pending))
        pending.clear()

    def _bad(number: int, reason: str | Failure) -> None:
        text = reason if isinstance(reason, str) else f"{reason.field}: {reason.reason}"
        summary.bad.append((number, text))
        on_bad(number, text)

    for number, item in lines:
        summary.lines += 1
        if isinstance(item, str):
            _bad(number, item)
            progress(1)
            continue
        pending.append((number, item))
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    return summary
