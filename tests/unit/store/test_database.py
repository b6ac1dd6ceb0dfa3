"""The one SQL store on SQLite and PostgreSQL: SQLite files made by the sqlite-utils
migrations upgrade in place, migrations run once (also with two engines starting
together), ids stay unique with several engines writing, waits for a connection are
bounded."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout

from engine.calls.store import CallRecords
from engine.dialer.campaigns import store as campaigns
from engine.dialer.core.policy import CampaignPolicy
from engine.profiles.ingest.service import ProfileStore
from engine.schemas import MIGRATIONS
from engine.store.database import Database
from tests.storedb import query

HERE = Path(__file__).parent
STEPS = sum(len(m.steps) for m in MIGRATIONS)
POLICY = CampaignPolicy()


def _legacy(tmp_path: Path, dump: str) -> Path:
    path = tmp_path / "engine.db"
    with sqlite3.connect(path) as conn:
        conn.executescript((HERE / dump).read_text())
    return path


async def test_a_file_of_the_sqlite_utils_migrations_upgrades_in_place(tmp_path):
    db = await Database(_legacy(tmp_path, "legacy-full.sql"), MIGRATIONS).open()
    try:
        done = await db.run(query, "SELECT migration_set, name FROM schema_migrations")
        assert len(done) == STEPS
        old = await CallRecords(db).get("old-call")
        assert old is not None and old["caller_number"] == "13800000001"
        c = await db.run(campaigns.create, "new", "manual", "preview", "general", POLICY, 9.0)
        assert c["id"] == 2  # numbering goes on after the old rows
        profiles = ProfileStore(db)
        late = {"id": "e-late", "type": "customer.updated", "customer_id": "C1", "at": 3.0}
        await profiles.ingest([late | {"data": {"name": "Older Li", "plan": "gold"}}])
        customer = (await profiles.customer("C1"))["customer"]
        assert (customer["name"], customer["plan"]) == ("Old Li", "gold")  # field_times kept
    finally:
        await db.close()


async def test_a_file_made_before_later_steps_gets_them(tmp_path):
    db = await Database(_legacy(tmp_path, "legacy-profiles-m001.sql"), MIGRATIONS).open()
    try:
        rows = await db.run(query, "SELECT id, kind FROM interactions")
        assert rows == [{"id": "i1", "kind": "interaction"}]
        names = {r["name"] for r in await db.run(query, "SELECT name FROM sqlite_master")}
        assert {"idx_interactions_customer_id_kind_at", "idx_events_customer_id_type"} <= names
        await ProfileStore(db).ingest(
            [
                {
                    "id": "e1",
                    "type": "customer.updated",
                    "customer_id": "C1",
                    "at": 4.0,
                    "data": {"name": "Li", "vip_note": "x"},
                }
            ]
        )
        (row,) = await db.run(query, "SELECT name, attrs, field_times FROM customers")
        assert row["name"] == "Li" and '"vip_note"' in row["attrs"]
    finally:
        await db.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_run_once_even_with_engines_starting_together(backend, tmp_path, request):
    target = str(tmp_path / "engine.db")
    if backend == "postgresql":  # an empty database: every step runs
        server = request.getfixturevalue("postgres_server")
        name = f"empty_{int(time.time() * 1000)}"
        target = server.create_database(name)
        request.addfinalizer(lambda: server.drop_database(name))
    dbs = [Database(target, MIGRATIONS) for _ in range(3)]
    errors: list[BaseException] = []

    def open_one(db: Database) -> None:
        try:
            db.open_sync()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one, args=(db,)) for db in dbs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        done = dbs[0].run_sync(query, "SELECT migration_set, name FROM schema_migrations")
        assert len(done) == STEPS
    finally:
        for db in dbs:
            db.close_sync()


def test_ids_stay_unique_with_several_engines_writing(store_target):
    engines = [Database(store_target, MIGRATIONS).open_sync() for _ in range(2)]
    ids: list[int] = []

    def create(db: Database, n: int) -> None:
        for i in range(n):
            row = db.run_sync(campaigns.create, f"c{i}", "manual", "preview", "q", POLICY, 1.0)
            ids.append(row["id"])

    threads = [threading.Thread(target=create, args=(db, 20)) for db in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(ids) == 40 and len(set(ids)) == 40
        seen = {r["id"] for r in engines[1].run_sync(campaigns.all_campaigns)}
        assert seen == set(ids)  # every engine sees every engine's rows
    finally:
        for db in engines:
            db.close_sync()


def test_a_call_waits_a_bounded_time_for_a_postgres_connection(fresh_postgres):
    db = Database(fresh_postgres, MIGRATIONS, pool_size=1, pool_timeout=0.3).open_sync()
    held = threading.Event()

    def hold(conn, seconds):
        held.set()
        time.sleep(seconds)

    try:
        slow = threading.Thread(target=db.run_sync, args=(hold, 1.5))
        slow.start()
        held.wait(5)
        started = time.monotonic()
        with pytest.raises(PoolTimeout):
            db.run_sync(query, "SELECT 1 AS one")
        assert time.monotonic() - started < 1.0
        slow.join()
        assert db.run_sync(query, "SELECT 1 AS one") == [{"one": 1}]
    finally:
        db.close_sync()


async def test_a_call_record_is_written_whole_then_updated_in_part(store_target):
    """A call's record is saved when it connects and again when it ends, each time with
    only the fields the call has: the second save changes those and keeps the rest (the
    upsert is built once per set of fields and reused for every call)."""
    db = await Database(store_target, MIGRATIONS).open()
    records = CallRecords(db)
    try:
        for n in (1, 2):
            await records.save(
                {
                    "id": f"c{n}",
                    "status": "connected",
                    "did": "8100",
                    "caller_number": f"1380000000{n}",
                    "arrived_at": 1.0,
                }
            )
        await records.save({"id": "c1", "status": "completed", "ended_at": 9.0})
        await records.save(
            {"id": "c2", "status": "abandoned", "ended_at": 8.0, "ivr_path": ["did:8100"]}
        )
        one, two = await records.get("c1"), await records.get("c2")
        assert one is not None and two is not None
        assert (
            one["status"],
            one["did"],
            one["caller_number"],
            one["arrived_at"],
            one["ended_at"],
        ) == ("completed", "8100", "13800000001", 1.0, 9.0)
        assert (two["status"], two["caller_number"], two["ivr_path"], two["ended_at"]) == (
            "abandoned",
            "13800000002",
            ["did:8100"],
            8.0,
        )
    finally:
        await db.close()
