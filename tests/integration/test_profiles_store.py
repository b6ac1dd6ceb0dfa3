"""The profile store on a real SQLite file and on PostgreSQL with thousands of generated
customers (issue 4, items 1-2): idempotent import, malformed events refused without
touching stored data, a conversation that moves from chat to the phone, caller-ID lookup
by every form of a number, no risk for customers who opted out, and lookups that do not
wait for the writer.
Needs neither Asterisk nor Redis."""

from __future__ import annotations

import asyncio
import csv
import json
import secrets
import threading
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.profiles.ingest import importer, phones
from engine.profiles.ingest import lookup as lookup_mod
from engine.profiles.ingest.lookup import StoreLookup
from engine.profiles.ingest.service import ProfileStore, per_event
from engine.schemas import MIGRATIONS
from engine.sim.customers import write as generate_io
from engine.sim.customers.generate import customer_id_of, phone_of
from engine.store.database import Database
from tests.storedb import query

pytestmark = pytest.mark.integration
CUSTOMERS, SEED, END = 3000, 7, 1_750_000_000.0
TABLES = (
    "customers",
    "contact_points",
    "interactions",
    "tickets",
    "orders",
    "ratings",
    "logins",
    "events",
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("profiles")
    events, labels = work / "events.jsonl", work / "labels.csv"
    generate_io.write_events(events, CUSTOMERS, SEED, END, labels_path=labels)
    return events, labels


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def target(request, tmp_path_factory) -> str:
    """The module's store, once per backend: a SQLite file or a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path_factory.mktemp("store") / "engine.db")
    server = request.getfixturevalue("postgres_server")
    name = f"profiles_{secrets.token_hex(4)}"
    url = server.create_database(name, "tenure_template")
    request.addfinalizer(lambda: server.drop_database(name))
    return str(url)


@pytest.fixture(scope="module")
async def loaded(generated, target):
    db = await Database(target, MIGRATIONS).open()
    summary = await asyncio.to_thread(
        importer.import_events, db, importer.jsonl_lines(generated[0]), 1000
    )
    lookup = StoreLookup(target)
    yield db, summary, lookup
    await lookup.close()
    await db.close()


async def counts(db: Database) -> dict[str, int]:
    def count(d):  # type: ignore[no-untyped-def]
        return {t: query(d, f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in TABLES}

    return await db.run(count)


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def labels_of(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as fh:
        return {row["customer_id"]: row for row in csv.DictReader(fh)}


async def test_import_stores_every_generated_event(loaded, generated):
    db, summary, _ = loaded
    lines = len(lines_of(generated[0]))
    assert (summary.stored, summary.duplicates, summary.bad) == (lines, 0, [])
    stored = await counts(db)
    assert stored["customers"] == CUSTOMERS and stored["events"] == lines


async def test_importing_the_same_file_again_changes_nothing(loaded, generated):
    db, _, _ = loaded
    before = await counts(db)
    again = await asyncio.to_thread(
        importer.import_events, db, importer.jsonl_lines(generated[0]), 1000
    )
    assert again.stored == 0 and again.duplicates == before["events"]
    assert await counts(db) == before


async def test_malformed_events_are_refused_without_touching_stored_data(loaded):
    db, _, _ = loaded
    store = ProfileStore(db)
    someone, other = customer_id_of(1), customer_id_of(2)
    order = (
        await db.run(
            lambda d: query(d, "SELECT id FROM orders WHERE customer_id = :c LIMIT 1", c=other)
        )
    )[0]["id"]
    view, before = await store.customer(someone), await counts(db)
    result = await store.ingest(
        [
            {"id": "bad-1", "type": "rating", "customer_id": someone, "data": {"stars": 9}},
            {
                "id": "bad-2",
                "type": "customer.updated",
                "customer_id": someone,
                "data": {"name": "Changed", "timezone": "Mars/Olympus"},
            },
            {
                "id": "bad-3",
                "type": "order.refunded",
                "customer_id": someone,
                "data": {"order_id": order},
            },
            {
                "id": "bad-4",
                "type": "intervention.outcome",
                "customer_id": someone,
                "data": {"intervention_id": 999999, "outcome": "accepted"},
            },
            {"id": "bad-5", "type": "login", "data": {"phone": "+86 100 0000 0000"}},
            {"id": "bad-6", "type": "order.shipped", "customer_id": someone},
        ]
    )
    assert result.stored == [] and result.duplicates == []
    assert [(e.index, e.field) for e in result.errors] == [
        (0, "data.stars"),
        (1, "data.timezone"),
        (2, "data.order_id"),
        (3, "data.intervention_id"),
        (4, "customer_id"),
        (5, "type"),
    ]
    assert await store.customer(someone) == view
    assert await counts(db) == before
    status = (await db.run(lambda d: query(d, "SELECT status FROM orders WHERE id = :o", o=order)))[
        0
    ]["status"]
    assert status != "refunded"


async def test_a_batch_keeps_its_good_events_and_reports_the_bad(loaded):
    db, _, _ = loaded
    store = ProfileStore(db)
    cid = customer_id_of(3)
    result = await store.ingest(
        [
            {"id": "mix-1", "type": "login", "customer_id": cid, "data": {"channel": "app"}},
            {"id": "mix-2", "type": "rating", "customer_id": cid, "data": {"stars": 0}},
            {"id": "mix-3", "type": "rating", "customer_id": cid, "data": {"stars": 4}},
        ]
    )
    assert [e.id for e in result.stored] == ["mix-1", "mix-3"]
    assert [(e.index, e.id, e.field) for e in result.errors] == [(1, "mix-2", "data.stars")]
    history = [e["id"] for e in await store.history(cid)]
    assert "mix-1" in history and "mix-3" in history and "mix-2" not in history


async def test_conversation_continues_from_chat_to_the_phone(loaded, generated):
    db, _, _ = loaded
    channels: dict[str, list[str]] = defaultdict(list)
    owner: dict[str, str] = {}
    identified_by_phone: set[str] = set()
    for line in lines_of(generated[0]):
        e = json.loads(line)
        if e["type"] in ("interaction", "inquiry"):
            conv = e["data"]["conversation_id"]
            channels[conv].append(e["data"]["channel"])
            owner.setdefault(conv, e.get("customer_id", ""))
            if "customer_id" not in e:
                identified_by_phone.add(conv)
    moved = [
        c
        for c, chs in channels.items()
        if chs[0] == "chat" and "phone" in chs and c in identified_by_phone
    ]
    assert len(moved) >= 10, "the generator moves some chats to the phone"
    store = ProfileStore(db)
    for conv in moved[:10]:
        view = await store.customer(owner[conv])
        found = next(c for c in view["conversations"] if c["conversation_id"] == conv)
        assert found["channels"][:2] == ["chat", "phone"]
        assert [m["channel"] for m in found["messages"]] == channels[conv]


def number_forms(stored: str) -> list[str]:
    """How the same line may show up as a caller ID."""
    if stored.startswith("+86"):
        national = stored[3:]
    elif stored.startswith("0086"):
        national = stored[4:]
    else:
        national = stored[1:] if stored.startswith("0") else stored
    forms = [
        f"+86{national}",
        f"86{national}",
        f"0086{national}",
        f"+86 {national[:3]} {national[3:7]} {national[7:]}",
    ]
    forms.append(f"0{national}" if not national.startswith("1") else national)
    return forms


async def test_lookup_finds_customers_by_every_form_of_their_number(loaded):
    db, _, lookup = loaded
    rows = [
        (r["value"], r["customer_id"])
        for r in await db.run(
            query,
            "SELECT value, customer_id FROM contact_points WHERE kind = 'phone' "
            "ORDER BY customer_id, value LIMIT 400",
        )
    ]
    assert any(v.startswith("0") for v, _ in rows), "some landlines among them"
    for value, cid in rows:
        for form in number_forms(value):
            caller = await lookup.identify(form)
            assert caller is not None and caller.customer_id == cid, (value, form)
    for unknown in (phone_of(CUSTOMERS + 5, SEED), "anonymous", "", "+1 415 555 0100"):
        assert await lookup.identify(unknown) is None


async def test_lookup_carries_name_language_and_risk_but_not_for_opted_out(loaded, generated):
    db, _, lookup = loaded
    labels = labels_of(generated[1])

    def score_everyone(d):  # type: ignore[no-untyped-def]
        d.execute(text("DELETE FROM risk"))
        d.execute(
            text(
                "INSERT INTO risk (customer_id, score, tier, tags, reasons, model, scored_at) "
                "VALUES (:c, 0.9, 'high', '[]', '[]', 'test', 0)"
            ),
            [{"c": cid} for cid in labels],
        )

    await db.run(score_everyone)
    opted = [c for c, row in labels.items() if row["prediction_opt_out"] == "1"]
    kept = [c for c, row in labels.items() if row["prediction_opt_out"] == "0"][:200]
    assert 30 <= len(opted) <= 200, "about 3% opt out"
    for cid in opted + kept:
        number = phone_of(int(cid[1:]), SEED)
        caller = await lookup.identify(number)
        assert caller is not None and caller.customer_id == cid
        assert caller.name and caller.language in ("zh", "en")
        if cid in opted:
            assert (caller.risk_tier, caller.risk_score) == (None, None)
        else:
            assert (caller.risk_tier, caller.risk_score) == ("high", 0.9)


async def test_lookup_is_ready_before_the_first_caller(loaded, target):
    """Start-up warms the lookup: a connection per thread and the statements of every
    shape of caller ID, so the first caller after a start finds nothing left to build."""
    lookup = StoreLookup(target)
    try:
        lookup_mod.query.cache_clear()
        await lookup.warm()
        workers = 1 if lookup.sqlite else lookup_mod.PG_WORKERS
        assert lookup.connections == workers
        built = lookup_mod.query.cache_info()
        assert built.currsize == len({len(phones.variants(n)) for n in lookup_mod.WARM_NUMBERS})
        national = phone_of(1, SEED)[3:]  # (+86 taken off)
        for number in (phone_of(0, SEED), national, "0" + national, "+4420 7946 0000", "1000"):
            await lookup.identify(number)
        assert lookup_mod.query.cache_info().misses == built.misses  # nothing new compiled
        assert lookup.connections == workers
    finally:
        await lookup.close()


async def test_lookup_does_not_wait_for_a_busy_writer(loaded):
    db, _, lookup = loaded
    inside, release = threading.Event(), threading.Event()

    def long_write(d):  # type: ignore[no-untyped-def]
        d.execute(text("UPDATE customers SET name = name WHERE id = :c"), {"c": customer_id_of(0)})
        inside.set()
        release.wait(30)

    writer = asyncio.ensure_future(db.run(long_write))
    await asyncio.to_thread(inside.wait, 30)
    caller = await lookup.identify(phone_of(0, SEED))
    assert not writer.done(), "the writer still holds its transaction"
    assert caller is not None and caller.customer_id == customer_id_of(0)
    release.set()
    await writer


async def test_listeners_hear_each_new_event_once(loaded):
    db, _, _ = loaded
    store = ProfileStore(db)
    heard: list[dict] = []

    async def on_event(envelope: dict) -> None:
        heard.append(envelope)

    store.listeners.append(per_event(on_event))
    cid = customer_id_of(4)
    batch = [
        {
            "id": "l-1",
            "type": "delivery.delayed",
            "customer_id": cid,
            "at": "2025-06-01T10:00:00+08:00",
            "data": {"order_id": "A1", "delay_hours": 6, "status_url": "https://t/A1"},
        },
        {
            "id": "l-2",
            "type": "page.viewed",
            "customer_id": cid,
            "data": {"page_id": "promo-1", "page_kind": "promotion"},
        },
    ]
    await store.ingest(batch)
    await store.ingest(batch)
    assert [e["id"] for e in heard] == ["l-1", "l-2"]
    assert heard[0]["at"] == 1748743200.0 and heard[0]["customer_id"] == cid
    assert heard[0]["data"]["delay_hours"] == 6.0


def test_import_cli_skips_bad_lines_and_keeps_the_good(tmp_path, capsys):
    from engine.cli import main

    config = tmp_path / "engine.toml"
    config.write_text(f'database_path = "{tmp_path / "cli.db"}"\n', encoding="utf-8")
    jsonl = tmp_path / "events.jsonl"
    jsonl.write_text(
        '{"id": "j1", "type": "customer.updated", "customer_id": "C9", '
        '"data": {"phones": ["+86 139 1234 5678"]}}\n'
        '{"id": "j2", "type": "rating", "customer_id": "C9", "data": {"stars": 11}}\n'
        "not json at all\n"
        '{"id": "j3", "type": "login", "data": {"phone": "13912345678"}}\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config), "profiles", "import", str(jsonl)]) == 1
    out, err = capsys.readouterr()
    assert f"{jsonl}:2: data.stars: must be an integer from 1 to 5" in err
    assert f"{jsonl}:3: event: not valid JSON" in err
    assert "2 stored, 0 duplicates, 2 bad (skipped)" in out
    csv_file = tmp_path / "more.csv"
    csv_file.write_text(
        "id,type,customer_id,at,stars,channel\n"
        "c1,rating,C9,2025-02-01T10:00:00+08:00,4,phone\n"
        "c2,rating,C9,,,phone\n",
        encoding="utf-8",
    )
    assert main(["--config", str(config), "profiles", "import", str(csv_file)]) == 1
    out, err = capsys.readouterr()
    assert f"{csv_file}:3: data.stars: is required" in err
    assert "1 stored, 0 duplicates, 1 bad (skipped)" in out
    assert main(["--config", str(config), "profiles", "import", str(jsonl)]) == 1
    assert "0 stored, 2 duplicates, 2 bad (skipped)" in capsys.readouterr()[0]


def test_generate_cli_writes_events_and_labels(tmp_path, capsys):
    from engine.cli import main

    out_file, labels = tmp_path / "g.jsonl", tmp_path / "g.csv"
    assert (
        main(
            [
                "profiles",
                "generate",
                "--customers",
                "200",
                "--seed",
                "3",
                "--out",
                str(out_file),
                "--labels",
                str(labels),
                "--end",
                "2025-06-01T00:00:00Z",
            ]
        )
        == 0
    )
    events = [json.loads(line) for line in lines_of(out_file)]
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    assert {e["customer_id"] for e in events if "customer_id" in e} <= set(labels_of(labels))
    churned = {e["customer_id"] for e in events if e["type"] == "customer.churned"}
    assert churned == {c for c, row in labels_of(labels).items() if row["churned"] == "1"}
    assert all(e["at"] > 1748736000 for e in events if e["type"] == "customer.churned")
    assert "200 customers" in capsys.readouterr()[0]


def test_generated_events_are_in_time_order_across_blocks(tmp_path):
    one, merged = tmp_path / "one.jsonl", tmp_path / "merged.jsonl"
    generate_io.write_events(one, 300, 5, END)
    generate_io.write_events(merged, 300, 5, END, block=40)  # 8 spilled blocks merged
    lines = lines_of(merged)
    ats = [json.loads(line)["at"] for line in lines]
    assert ats == sorted(ats)
    assert sorted(lines) == sorted(lines_of(one))


async def test_a_late_delivered_older_consent_never_undoes_an_opt_out(loaded):
    db, _, _ = loaded
    store = ProfileStore(db)
    cid = customer_id_of(7)
    await store.ingest(
        [
            {
                "id": "consent-new",
                "type": "consent.changed",
                "customer_id": cid,
                "at": 2_000_000_000.0,
                "data": {"prediction_opt_out": True},
            }
        ]
    )
    await store.ingest(
        [
            {
                "id": "consent-old",
                "type": "consent.changed",
                "customer_id": cid,
                "at": 1_900_000_000.0,
                "data": {"prediction_opt_out": False},
            }
        ]
    )
    profile = (await store.customer(cid))["customer"]
    assert profile["prediction_opt_out"] is True
    assert profile["consent"]["event_id"] == "consent-new"


async def test_a_late_delivered_older_update_never_overwrites_a_newer_one(loaded):
    """Field by field, by event time: the newer value stays, what only the older event
    said is still taken, extra fields (``attrs``) and phone numbers alike."""
    db, _, _ = loaded
    store = ProfileStore(db)
    cid, other = customer_id_of(8), customer_id_of(9)
    new, old = 2_000_000_000.0, 1_900_000_000.0
    await store.ingest(
        [
            {
                "id": "upd-new",
                "type": "customer.updated",
                "customer_id": cid,
                "at": new,
                "data": {
                    "name": "Li Na (new)",
                    "plan": "gold",
                    "segment": "vip",
                    "phones": ["13900000008"],
                },
            }
        ]
    )
    await store.ingest(
        [
            {
                "id": "upd-old",
                "type": "customer.updated",
                "customer_id": cid,
                "at": old,
                "data": {
                    "name": "Li Na (old)",
                    "plan": "basic",
                    "language": "zh",
                    "segment": "mass",
                    "churn_note": "called twice",
                },
            },
            {
                "id": "upd-old-phone",
                "type": "customer.updated",
                "customer_id": other,
                "at": old,
                "data": {"phones": ["13900000008"]},
            },
        ]
    )
    profile = (await store.customer(cid))["customer"]
    assert (profile["name"], profile["plan"], profile["language"]) == ("Li Na (new)", "gold", "zh")
    assert profile["attrs"]["segment"] == "vip"
    assert profile["attrs"]["churn_note"] == "called twice"
    assert profile["updated_at"] == new

    def owner(d):
        row = d.execute(
            text("SELECT customer_id FROM contact_points WHERE value = :v"),
            {"v": phones.normalise("13900000008")},
        ).one_or_none()
        return tuple(row) if row is not None else None

    assert await db.run(owner) == (cid,), "an older event moved the number back"
    await store.ingest(
        [
            {
                "id": "upd-newer",
                "type": "customer.updated",
                "customer_id": cid,
                "at": new + 60,
                "data": {"plan": "platinum", "segment": None},
            }
        ]
    )
    profile = (await store.customer(cid))["customer"]
    assert profile["plan"] == "platinum" and "segment" not in profile["attrs"]
