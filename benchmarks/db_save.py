"""Benchmark: writing a call record (``engine.calls.store.save``) on SQLite.

The record is saved on the database thread, but in Python, holding the GIL the event
loop needs to run. Prints the time per save as the engine does it (the upsert built once
per set of fields, then reused) and with the upsert built for every save (the engine
before issue 13, round 6), in one run, and their ratio.

    python benchmarks/db_save.py [--rows 2000] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.calls import store  # noqa: E402
from engine.calls.schema import calls  # noqa: E402
from engine.store.sql import insert  # noqa: E402

ROW = {"status": "connected", "did": "8100", "caller_number": "13800000000", "arrived_at": 1.0}


def built_every_time(conn: Connection, row: dict[str, Any]) -> None:
    stmt = insert(conn, calls).values(row)
    fields = {k: stmt.excluded[k] for k in row if k != "id"}
    conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=fields))


def per_save_us(save: Any, rows: int, tag: str) -> float:
    engine = create_engine("sqlite://")
    calls.metadata.create_all(engine)
    with engine.begin() as conn:
        for i in range(100):  # warm: compiled-statement cache, first inserts
            save(conn, dict(ROW, id=f"{tag}-w{i}"))
        start = time.perf_counter()
        for i in range(rows):
            save(conn, dict(ROW, id=f"{tag}-{i}"))
            save(conn, {"id": f"{tag}-{i}", "status": "completed", "ended_at": 2.0})
        return (time.perf_counter() - start) / (2 * rows) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    runs: dict[str, list[float]] = {"built once": [], "built every save": []}
    for r in range(3):  # alternating, so the machine's other load falls on both
        runs["built once"].append(per_save_us(store.save, args.rows, f"a{r}"))
        runs["built every save"].append(per_save_us(built_every_time, args.rows, f"b{r}"))
    figures = {k: round(statistics.median(v), 1) for k, v in runs.items()}
    figures["ratio"] = round(figures["built every save"] / figures["built once"], 1)
    if args.json:
        print(json.dumps({"us_per_save": figures, "rows": args.rows}))
    else:
        for k, v in figures.items():
            print(f"{k:>18}: {v}{'x' if k == 'ratio' else ' us per save'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
