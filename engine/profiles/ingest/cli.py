"""`python -m engine profiles import|generate`: load events into the profile store, and
make seeded synthetic customers.

    profiles import FILE [--format csv|jsonl] [--batch 1000]
    profiles generate --customers N [--seed S] --out FILE.jsonl [--labels FILE.csv]
                      [--days 180] [--end TIME]

``import`` writes to the engine's store (``database_url`` or ``database_path``), with a
progress bar on stderr; bad lines are reported as ``FILE:LINE: field: reason`` and
skipped; the summary (stored / duplicates / bad) goes to stdout. Exit status 1 when some
line was bad.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tqdm import tqdm

from engine.profiles.ingest import importer
from engine.profiles.ingest.event_fields import moment
from engine.schemas import database
from engine.sim.customers import write as generate_io

MAX_SHOWN = 200  # bad lines printed; the summary counts them all


def register(sub: argparse._SubParsersAction) -> None:
    profiles = sub.add_parser("profiles", help="profile store: import events, generate data")
    cmds = profiles.add_subparsers(dest="profiles_command", required=True, metavar="COMMAND")
    imp = cmds.add_parser("import", help="load events from a JSONL or CSV file")
    imp.add_argument("file", type=Path)
    imp.add_argument(
        "--format",
        choices=("csv", "jsonl"),
        help="default: from the file name (.csv is CSV, anything else JSONL)",
    )
    imp.add_argument(
        "--batch",
        type=int,
        default=1000,
        help="events per transaction (larger is faster for big files)",
    )
    imp.set_defaults(func=_import)
    gen = cmds.add_parser("generate", help="seeded synthetic customers as JSONL events")
    gen.add_argument("--customers", type=int, required=True)
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--out", type=Path, required=True, help="events, JSONL, time order")
    gen.add_argument("--labels", type=Path, help="churn label per customer, CSV")
    gen.add_argument("--days", type=float, default=180.0, help="observed window in days")
    gen.add_argument("--end", help="end of the window: epoch seconds or ISO-8601 (now)")
    gen.set_defaults(func=_generate)


def _count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


def _import(args: argparse.Namespace) -> int:
    settings = args.settings()
    path: Path = args.file
    if not path.is_file():
        print(f"profiles import: no such file: {path}", file=sys.stderr)
        return 2
    if args.batch < 1:
        print("profiles import: --batch must be at least 1", file=sys.stderr)
        return 2
    fmt = args.format or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
    lines = importer.csv_lines(path) if fmt == "csv" else importer.jsonl_lines(path)
    db = database(settings).open_sync()
    if db.sqlite:
        db.run_sync(importer.tune_for_import)
    bar = tqdm(
        total=_count_lines(path), unit=" lines", desc="import", file=sys.stderr, disable=None
    )
    shown = 0

    def on_bad(number: int, reason: str) -> None:
        nonlocal shown
        shown += 1
        if shown <= MAX_SHOWN:
            tqdm.write(f"{path}:{number}: {reason}", file=sys.stderr)

    try:
        summary = importer.import_events(db, lines, args.batch, on_bad, bar.update)
    finally:
        bar.close()
        db.close_sync()
    if shown > MAX_SHOWN:
        print(f"... and {shown - MAX_SHOWN} more bad lines", file=sys.stderr)
    print(
        f"{path}: {summary.stored} stored, {summary.duplicates} duplicates, "
        f"{len(summary.bad)} bad (skipped)"
    )
    return 1 if summary.bad else 0


def _end(text: str | None) -> float:
    if text is None:
        return time.time()
    try:
        return moment(float(text))
    except ValueError:
        return moment(text)


def _generate(args: argparse.Namespace) -> int:
    if args.customers < 1:
        print("profiles generate: --customers must be at least 1", file=sys.stderr)
        return 2
    try:
        end = _end(args.end)
    except ValueError as exc:
        print(f"profiles generate: --end {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    with tqdm(
        total=args.customers, unit=" customers", desc="generate", file=sys.stderr, disable=None
    ) as bar:
        written = generate_io.write_events(
            args.out, args.customers, args.seed, end, args.days, args.labels, bar.update
        )
    print(
        f"{args.out}: {written.customers} customers, {written.events} events, "
        f"{written.churned} churned within 60 days, "
        f"{time.perf_counter() - started:.1f} s"
    )
    return 0
