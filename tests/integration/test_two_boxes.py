"""Several engines, one contact center (issue 18): two engines on two sandbox Asterisks
(box A: the session's sandbox, box B: ``tests/boxes.py``), one Redis, one store
(``tests/boxes.shared_store``: one PostgreSQL database, as in production)."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import orjson
import pytest

from engine.dialer.campaigns import dial_store
from engine.routing.background import HEARTBEAT
from engine.sim import parties
from tests import storedb
from tests.boxes import BOX_A, BOX_B, Phone, placement
from tests.conftest import ROOT, TEST_SKILLS
from tests.integration.dialer_helpers import (
    new_campaign,
    open_api,
    seed_callbacks,
    window_around_now,
)
from tests.integration.helpers import (
    on_call_agent,
    one_agent_skills,
    place_caller,
    sim_globals,
    wait_for,
)

pytestmark = pytest.mark.integration
PREFIX = "tenure"


@pytest.fixture
def with_risk_tags(tmp_path: Path) -> dict[str, str]:
    """The test skills plus the shipped churn-risk tags (three open tickets: high)."""
    skills = tmp_path / "skills"
    shutil.copytree(TEST_SKILLS, skills)
    for name in ("risk-tags.yaml", "complaint-words.yaml"):
        shutil.copy(ROOT / "skills" / name, skills / name)
    return {"skills_dir": str(skills)}


async def test_customer_ingested_on_a_is_identified_with_tier_and_risk_on_b(
    shared_store, engine_settings, engine_factory, second_box, ari_b, with_risk_tags
):
    store = {**shared_store, **with_risk_tags}
    a = await engine_factory(instance_id=BOX_A, **store)
    b = await engine_factory(instance_id=BOX_B, **placement(second_box), **store)
    events = [
        {
            "id": "c900-1",
            "type": "customer.updated",
            "customer_id": "C900",
            "at": time.time() - 3600,
            "data": {"name": "Li Na", "phones": ["13800138900"], "loyalty_level": "platinum"},
        },
        *(
            {
                "id": f"c900-t{i}",
                "type": "ticket.opened",
                "customer_id": "C900",
                "at": time.time() - 600 + i,
                "data": {"ticket_id": f"T-{i}", "kind": "complaint", "subject": "still broken"},
            }
            for i in range(3)
        ),
    ]
    result = await a.profiles.ingest(events)
    assert result.stored and not result.errors, result.as_dict()
    await wait_for(lambda: _risk(b, "C900"), what="the risk scored")

    caller = await place_caller(ari_b, "8100", "13800138900")
    call_id = f"{caller};2"
    runner = await wait_for(lambda: _connected(b, call_id), timeout=20, what="bridged on B")
    record = runner.call.record
    assert (record["customer_id"], record["vip_tier"], record["risk_tier"]) == (
        "C900",
        "platinum",
        "high",
    )
    await ari_b.hangup(caller)
    saved = await wait_for(lambda: _ended(a, call_id), what="B's record, read on A")
    assert saved["customer_id"] == "C900" and saved["vip_tier"] == "platinum"


async def test_killed_engine_agents_are_freed_by_the_other_and_its_restart_closes_records(
    shared_store,
    engine_settings,
    sandbox,
    ari,
    second_box,
    engine_factory,
    engine_processes,
    redis_client,
):
    store = shared_store
    b = await engine_factory(instance_id=BOX_B, **placement(second_box), **store)
    a = await engine_processes(engine_settings, instance_id=BOX_A, **store)
    caller = await place_caller(ari, "8100", "13800138901")
    agent_id, call_id = await wait_for(
        lambda: on_call_agent(redis_client), timeout=20, what="a caller on A bridged to an agent"
    )
    # killed with the call up and recorded (A writes its record just after the bridge)
    await wait_for(lambda: _in_progress(b, call_id), what="A's record in the shared store")
    a.kill()
    killed = time.monotonic()
    ttl = 5 * HEARTBEAT
    await wait_for(
        lambda: _state_is(redis_client, agent_id, "available"),
        timeout=ttl + 3 * HEARTBEAT,
        interval=0.05,
        what="the dead engine's agent freed by B",
    )
    print(f"agent freed {time.monotonic() - killed:.2f} s after SIGKILL (heartbeat TTL {ttl:g} s)")
    assert b.router.instance == BOX_B
    record = await b.records.get(call_id)
    assert record is not None and record["status"] == "in-progress"  # A's record, seen on B

    await ari.hangup(caller)
    await wait_for(lambda: _gone(ari, call_id), what="caller gone on A")
    await engine_processes(engine_settings, instance_id=BOX_A, **store)
    closed = await wait_for(lambda: _ended(b, call_id), timeout=15, what="record closed")
    assert closed["status"] == "completed" and closed["end_cause"] == "engine-lost"
    assert await _state_is(redis_client, agent_id, "available")


async def test_a_callback_in_campaigns_on_both_boxes_dials_the_customer_once(
    shared_store, engine_settings, engine_factory, ari, second_box, ari_b
):
    """The callback sits in a campaign on each box (two syncs raced); both campaigns run
    at once: the number is claimed before every dial, so it rings once, and once it was
    answered the other campaign's copy is done."""
    store = shared_store
    a = await engine_factory(instance_id=BOX_A, **store)
    b = await engine_factory(instance_id=BOX_B, **placement(second_box), **store)
    number = "1700901"
    await a.db.run(seed_callbacks, [("C901", number, "UTC", 0)])
    body = {
        "name": "risk",
        "kind": "callback",
        "mode": "progressive",
        "policy": {"window": window_around_now()},
    }
    async with open_api(a) as api_a, open_api(b) as api_b:
        ca = await api_a.call("POST", "/dialer/campaigns", body, expect=201)
        cb = await api_b.call("POST", "/dialer/campaigns", body, expect=201)
        assert ca["id"] != cb["id"]  # one store: one numbering
        await a.db.run(_callback_in_both, ca["id"], cb["id"])
        talk = {**parties.customer_globals(ring=1, talk=2), **parties.agent_defaults(delay=0.3)}
        async with sim_globals(ari, talk), sim_globals(ari_b, talk):
            await asyncio.gather(
                api_a.call("POST", f"/dialer/campaigns/{ca['id']}/start"),
                api_b.call("POST", f"/dialer/campaigns/{cb['id']}/start"),
            )
            # each campaign runs on the box that started it
            assert set(b.dialer.runners) == {cb["id"]}
            first = await wait_for(
                lambda: a.db.run(_attempts, number, True), timeout=30, what="the call over"
            )
            await asyncio.sleep(3)  # both campaigns tick several times more
    attempts = await a.db.run(_attempts, number, False)
    assert len(attempts) == 1, attempts
    assert first[0]["outcome"] == "answered" and first[0]["talk_seconds"] is not None
    contacts = await a.db.run(_contacts, number)
    assert sorted(c["status"] for c in contacts) == ["done", "done"], contacts


async def test_a_campaign_running_on_a_is_paused_and_resumed_from_b(
    shared_store, engine_factory, ari, second_box, ari_b
):
    """A supervisor on box B controls a campaign box A runs: paused on B, A dials no
    new number; resumed on B, A dials again. B never runs it."""
    a = await engine_factory(instance_id=BOX_A, **shared_store)
    b = await engine_factory(instance_id=BOX_B, **placement(second_box), **shared_store)
    csv = "".join(f"2{i:06d},cust-{i}\n" for i in range(40))  # numbers that ring out
    async with (
        open_api(a) as api_a,
        open_api(b) as api_b,
        sim_globals(ari, parties.customer_globals(noanswer_ring=2)),
    ):
        cid = await new_campaign(api_a, "controls", "progressive", csv)
        await api_a.call("POST", f"/dialer/campaigns/{cid}/start")
        await wait_for(lambda: _dialled(a, cid, 1), what="A dials")
        paused = await api_b.call("POST", f"/dialer/campaigns/{cid}/pause")
        assert (paused["status"], paused["engine"]) == ("paused", BOX_A)
        runner = a.dialer.runners[cid]
        await wait_for(lambda: runner.status == "paused", timeout=2, what="A took the pause")
        before = await _dialled(a, cid, 0)
        await asyncio.sleep(3)  # A's pacer ticks several times
        assert await _dialled(a, cid, 0) == before, "A dialled while paused"
        resumed = await api_b.call("POST", f"/dialer/campaigns/{cid}/resume")
        assert resumed["status"] == "running"
        after = await wait_for(lambda: _dialled(a, cid, before + 1), what="A dials again")
        status = await api_b.call("GET", f"/dialer/campaigns/{cid}")
        assert status["status"] == "running" and cid not in b.dialer.runners
        await api_b.call("POST", f"/dialer/campaigns/{cid}/stop")
        await wait_for(lambda: cid not in a.dialer.runners, what="A stopped it")
    print(f"dialled: {before} before the pause, {after} after the resume; none in between")


async def _dialled(engine, campaign_id: int, at_least: int) -> int | None:
    """The campaign's attempts so far, once there are ``at_least``."""

    def count(db):
        return len(storedb.query(db, "SELECT id FROM attempts WHERE campaign_id = ?", campaign_id))

    n = await engine.db.run(count)
    return n if n >= at_least else None


def _callback_in_both(db, first: int, second: int) -> None:
    """What two engines syncing the callbacks at the same moment leave."""
    now = time.time()
    dial_store.sync_callbacks(db, first, now)
    for row in storedb.query(db, "SELECT * FROM contacts WHERE campaign_id = ?", first):
        row.pop("id")
        storedb.insert(db, "contacts", {**row, "campaign_id": second})


def _attempts(db, number: str, finished: bool):
    rows = storedb.query(db, "SELECT * FROM attempts WHERE number = ?", number)
    if finished and not any(r["talk_seconds"] is not None for r in rows):
        return None
    return rows


def _contacts(db, number: str):
    return storedb.query(db, "SELECT * FROM contacts WHERE number = ?", number)


@pytest.fixture
def phone_agent(tmp_path: Path) -> dict[str, str]:
    """Skills where the one agent is 1001 on a real phone (PJSIP/1001), general calls."""
    return one_agent_skills(tmp_path / "phone-skills", "1001", "PJSIP/1001")


async def test_an_agent_phone_registered_on_b_answers_a_call_that_arrived_on_a(
    shared_store,
    engine_settings,
    engine_factory,
    ari,
    second_box,
    tmp_path,
    redis_client,
    phone_agent,
):
    """The phone registers on box B only; the caller is on box A: A's engine dials the
    agent through the trunk to B (PJSIP/1001@box-b), B rings the phone, the phone
    answers, the caller is bridged on A."""
    store = {**shared_store, **phone_agent}
    a = await engine_factory(instance_id=BOX_A, **store)
    await engine_factory(instance_id=BOX_B, **placement(second_box), **store)
    phone = Phone(tmp_path, "1001", second_box.settings)
    phone.start()
    try:
        await wait_for(
            lambda: _agent_is(redis_client, "1001", home=BOX_B, registered="1"),
            timeout=20,
            what=f"phone 1001 registered on box B ({phone.log()})",
        )
        registrations = await redis_client.hgetall(f"{PREFIX}:reg:1001")  # per box
        assert registrations[BOX_B] == "1" and registrations.get(BOX_A) != "1"
        caller = await place_caller(ari, "8100", "13800138903")
        call_id = f"{caller};2"
        runner = await wait_for(
            lambda: _connected(a, call_id), timeout=20, what="the caller on A bridged"
        )
        assert runner.call.offer.agent_id == "1001"
        assert runner.call.offer.endpoint == f"PJSIP/1001@{BOX_B}"
        assert await _agent_is(redis_client, "1001", state="on_call")
        await ari.hangup(caller)
        await wait_for(
            lambda: _agent_is(redis_client, "1001", state="available"), what="agent free"
        )
    finally:
        phone.stop()


@pytest.fixture
def one_agent(tmp_path: Path) -> dict[str, str]:
    """Skills with one simulated agent, 2003, who takes the general calls (DID 8100)."""
    return one_agent_skills(tmp_path / "one-agent", "2003", "Local/2003@sim-agents")


EXCLUDE = 8.0  # offer_exclude_seconds of this test


async def test_a_dial_failure_on_b_keeps_the_agent_from_b_only_until_the_exclusion_ends(
    shared_store, engine_factory, ari, second_box, ari_b, redis_client, one_agent
):
    """Box B cannot reach agent 2003's phone (its Asterisk answers the dial with congestion): the
    agent is kept from B's offers for offer_exclude_seconds, not paused. A caller on A
    reaches the agent meanwhile; B's caller waits, is not offered the agent again until
    the exclusion ends, then is."""
    store = {**shared_store, **one_agent, "offer_exclude_seconds": EXCLUDE}
    a = await engine_factory(instance_id=BOX_A, **store)
    b = await engine_factory(instance_id=BOX_B, **placement(second_box), **store)
    events = redis_client.pubsub()
    await events.subscribe(f"{PREFIX}:routing-events")
    try:
        async with (
            open_api(b) as api_b,
            sim_globals(ari_b, parties.agent_globals("2003", "congestion")),
        ):
            caller_b = await place_caller(ari_b, "8100", "13800138904")
            seen = await wait_for(
                lambda: _excluded_on(api_b, "2003"), what="2003 excluded from B's offers"
            )
            assert seen["state"] == "available"  # not paused: other boxes may offer
            assert seen["excluded"][BOX_B]["reason"] == "congestion"
            excluded_until = seen["excluded"][BOX_B]["until"]
            caller_a = await place_caller(ari, "8100", "13800138905")
            await wait_for(
                lambda: _connected(a, f"{caller_a};2"), timeout=20, what="A's caller bridged"
            )
            await ari.hangup(caller_a)
            await wait_for(
                lambda: _agent_is(redis_client, "2003", state="available"), what="2003 free"
            )
            assert time.time() < excluded_until - 1, "the exclusion ended too early to tell"
        # B's phone path works again; B's caller gets the agent once the exclusion ends
        call_b = f"{caller_b};2"
        await wait_for(
            lambda: _connected(b, call_b), timeout=EXCLUDE + 10, what="B's caller bridged"
        )
        bridged_at = time.time()
        await ari_b.hangup(caller_b)
        offers = [e for e in await _drain(events) if e.get("event") == "offered"]
    finally:
        await events.aclose()
    to_b = [e["at"] for e in offers if e["call_id"] == call_b]
    assert len(to_b) == 2, to_b  # the failed one, then one after the exclusion: no loop
    assert to_b[1] >= excluded_until - 0.05 and bridged_at >= excluded_until
    assert [e["instance"] for e in offers if e["call_id"] == f"{caller_a};2"] == [BOX_A]
    print(
        f"B re-offered {to_b[1] - to_b[0]:.1f} s after its failed offer (exclusion {EXCLUDE:g} s)"
    )


async def _excluded_on(api, agent_id: str):
    agent = await api.call("GET", f"/agents/{agent_id}")
    return agent if agent["excluded"] else None


async def _drain(pubsub) -> list[dict]:
    """Every routing event received so far."""
    out = []
    while message := await pubsub.get_message(timeout=0.5):
        if message["type"] == "message":
            out.append(orjson.loads(message["data"]))
    return out


async def _agent_is(redis, agent_id: str, **fields: str) -> bool:
    row = await redis.hgetall(f"{PREFIX}:agent:{agent_id}")
    return all(row.get(k) == v for k, v in fields.items())


async def _risk(engine, customer_id: str):
    def read(db):
        rows = storedb.query(db, "SELECT * FROM risk WHERE customer_id = ?", customer_id)
        return rows[0] if rows and rows[0]["tier"] == "high" else None

    return await engine.db.run(read)


def _connected(engine, call_id: str):
    runner = engine.calls.runners.get(call_id)
    return runner if runner is not None and runner.call.status == "connected" else None


async def _in_progress(engine, call_id: str):
    record = await engine.records.get(call_id)
    return record if record and record.get("status") == "in-progress" else None


async def _ended(engine, call_id: str):
    record = await engine.records.get(call_id)
    return record if record and record.get("ended_at") else None


async def _state_is(redis, agent_id: str, state: str) -> bool:
    return await redis.hget(f"{PREFIX}:agent:{agent_id}", "state") == state


async def _gone(ari, channel_id: str) -> bool:
    return channel_id not in {c["id"] for c in await ari.channels()}
