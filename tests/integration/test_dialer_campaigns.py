"""The outbound dialer end to end on the real sandbox Asterisk, Redis and SQLite (issue 5):
campaigns dial the simulated customers over ARI, AMD tells people from machines, people
reach agents (screen pop), machines get the message, busy and no answer are retried by
policy, DNC / opt-outs / calling windows are honoured, outcomes become interventions."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from engine import timeslice
from engine.calls.ports import RouteRequest
from engine.sim import parties
from tests.integration.dialer_helpers import (
    FAR_ZONE,
    Api,
    contacts_of,
    interventions_of,
    learn_dials,
    new_campaign,
    open_api,
    seed_callbacks,
    window_around_now,
)
from tests.integration.helpers import reply_held, sim_globals, wait_for
from tests.storedb import query

pytestmark = pytest.mark.integration


@pytest.fixture
async def api(engine) -> AsyncIterator[Api]:
    async with open_api(engine) as client:
        yield client


async def test_callback_campaign_reaches_people_leaves_messages_and_honours_the_rules(
    engine, ari, api
):
    """Progressive callback campaign over the profile store's high-risk callbacks."""
    await engine.router.presence.pause("2004", "meeting")  # 2003 takes the calls
    await engine.db.run(
        seed_callbacks,
        [
            ("cust-human", "1500001", "UTC", 0),
            ("cust-machine", "4500001", "UTC", 0),
            ("cust-busy", "3500001", "UTC", 0),
            ("cust-dnc", "1500002", "UTC", 0),
            ("cust-optout", "1500003", "UTC", 1),
            ("cust-far", "1500004", FAR_ZONE, 0),
        ],
    )
    await api.call("POST", "/dialer/dnc", {"numbers": ["1500002"], "reason": "asked"})
    campaign = await api.call(
        "POST",
        "/dialer/campaigns",
        {
            "name": "high risk callbacks",
            "kind": "callback",
            "mode": "progressive",
            "policy": {
                "window": window_around_now(),
                "max_attempts": 2,
                "retry_seconds": {"busy": 1},
                "machine": "message",
            },
        },
        expect=201,
    )
    cid = campaign["id"]
    async with sim_globals(
        ari, {**parties.customer_globals(ring=1), **parties.agent_defaults(delay=0.3, talk=4)}
    ):
        await api.call("POST", f"/dialer/campaigns/{cid}/start")
        desk = await wait_for(
            lambda: engine.desk.current("2003"),
            timeout=30,
            what="the agent's desk card for the person who answered",
        )
        assert desk["caller_number"] == "1500001" and desk["customer_id"] == "cust-human"
        pop = await wait_for(
            lambda: engine.retention.screens.current("2003"), timeout=10, what="the screen pop"
        )
        assert pop["customer"]["id"] == "cust-human"

        async def settled() -> bool:
            c = await contacts_of(engine, cid)
            return all(
                c[n]["status"] in ("done", "exhausted", "blocked")
                for n in ("1500001", "4500001", "3500001", "1500002", "1500003")
            )

        await wait_for(settled, timeout=60, what="every callable contact settled")
    c = await contacts_of(engine, cid)
    assert (c["1500001"]["status"], c["1500001"]["last_outcome"]) == ("done", "answered")
    assert (c["4500001"]["status"], c["4500001"]["last_outcome"]) == ("done", "machine-message")
    assert (c["3500001"]["status"], c["3500001"]["attempts"]) == ("exhausted", 2)
    assert (c["1500002"]["status"], c["1500002"]["reason"], c["1500002"]["attempts"]) == (
        "blocked",
        "dnc",
        0,
    )
    assert (c["1500003"]["status"], c["1500003"]["reason"], c["1500003"]["attempts"]) == (
        "blocked",
        "opted-out",
        0,
    )
    far = c["1500004"]
    assert far["status"] == "pending" and far["attempts"] == 0 and far["next_at"] > time.time()
    assert await interventions_of(engine, "cust-human") == [("dialer:callback", "answered")]
    assert await interventions_of(engine, "cust-machine") == [
        ("dialer:callback", "machine-message")
    ]
    assert await interventions_of(engine, "cust-busy") == [("dialer:callback", "busy")] * 2
    assert await interventions_of(engine, "cust-dnc") == []

    def callbacks(db):
        return {
            r["customer_id"]: r["status"]
            for r in query(db, "SELECT customer_id, status FROM callbacks")
        }

    assert await engine.db.run(callbacks) == {
        "cust-human": "done",
        "cust-machine": "done",
        "cust-busy": "done",
        "cust-dnc": "done",
        "cust-optout": "done",
        "cust-far": "pending",
    }
    status = await api.call("GET", f"/dialer/campaigns/{cid}")
    assert status["progress"]["attempts"]["by_outcome"] == {
        "answered": 1,
        "machine-message": 1,
        "busy": 2,
    }
    assert status["live"]["skipped"]["outside-calling-window"] >= 1
    assert status["progress"]["abandon"]["rate"] == 0.0


async def test_a_person_with_no_agent_hears_the_identification_and_is_counted(engine, ari, api):
    """The 2-second rule: the only agent goes on a break while the line rings."""
    await engine.router.presence.pause("2004", "meeting")
    campaign = await api.call(
        "POST",
        "/dialer/campaigns",
        {
            "name": "abandon",
            "kind": "manual",
            "mode": "progressive",
            "policy": {"window": window_around_now()},
        },
        expect=201,
    )
    cid = campaign["id"]
    await api.call("POST", f"/dialer/campaigns/{cid}/import", data="1600001,cust-a\n")
    async with sim_globals(ari, parties.customer_globals(ring=2)):
        await api.call("POST", f"/dialer/campaigns/{cid}/start")
        runner = engine.dialer.runners[cid]
        await wait_for(lambda: runner.lines, what="the line is dialled")
        await engine.router.presence.pause("2003", "break")
        await wait_for(
            lambda: any(ln.state == "closing" for ln in runner.lines.values()),
            timeout=15,
            what="the live answer abandoned after 2 s",
        )
        await wait_for(lambda: not runner.lines, timeout=15, what="the line hung up")
    c = (await contacts_of(engine, cid))["1600001"]
    assert c["last_outcome"] == "abandoned" and c["status"] == "pending"
    assert c["next_at"] >= time.time() + 71 * 3600, "the number rests 72 h"
    status = await api.call("GET", f"/dialer/campaigns/{cid}")
    assert status["progress"]["abandon"]["live_answers"] == 1
    assert status["progress"]["abandon"]["abandoned"] == 1
    assert status["live"]["guard_rate"] == 1.0
    assert await interventions_of(engine, "cust-a") == [("dialer:campaign", "abandoned")]


async def test_api_refuses_bad_input_and_missing_token(engine, api):
    bad = [
        ({"kind": "manual", "mode": "predictive"}, "name"),
        ({"name": "x", "kind": "survey", "mode": "predictive"}, "kind"),
        ({"name": "x", "kind": "manual", "mode": "turbo"}, "mode"),
        ({"name": "x", "kind": "manual", "mode": "preview", "queue": "nope"}, "queue"),
        (
            {
                "name": "x",
                "kind": "manual",
                "mode": "preview",
                "policy": {"window": {"start": "9am"}},
            },
            "policy.window.start",
        ),
    ]
    for body, field in bad:
        err = await api.call("POST", "/dialer/campaigns", body, expect=400)
        assert err["details"]["field"] == field, err
    err = await api.call("POST", "/dialer/dnc", {"numbers": ["12ab"]}, expect=400)
    assert err["details"]["field"] == "numbers[0]"
    await api.call("GET", "/dialer/campaigns/999", expect=404)
    await api.call("POST", "/dialer/campaigns/abc/start", expect=400)
    m = await api.call(
        "POST",
        "/dialer/campaigns",
        {"name": "m", "kind": "manual", "mode": "progressive"},
        expect=201,
    )
    await api.call("POST", f"/dialer/campaigns/{m['id']}/pause", expect=409)
    async with aiohttp.ClientSession() as anonymous:
        for method, path in (
            ("GET", "/dialer/campaigns"),
            ("POST", "/dialer/campaigns"),
            ("POST", f"/dialer/campaigns/{m['id']}/start"),
            ("POST", "/dialer/dnc"),
        ):
            async with anonymous.request(method, api.base + path, json={}) as resp:
                assert resp.status == 401
                assert (await resp.json())["error_id"] == "unauthorized"
    assert json.dumps(await api.call("GET", "/dialer/campaigns"))


async def test_cli_creates_imports_and_controls_a_campaign(engine, api, tmp_path, capsys):
    """create and import go to the database; pause, resume, stop and status to the engine."""
    from engine.cli import main

    s = engine.settings
    config = tmp_path / "engine.toml"
    config.write_text(
        f'database_path = "{s.database_path}"\nskills_dir = "{s.skills_dir}"\n'
        f'http_port = {s.http_port}\napi_token = "{s.api_token}"\n'
    )
    contacts_csv = tmp_path / "contacts.csv"
    contacts_csv.write_text(
        f"number,customer_id,timezone,priority,name\n1900001,cli-1,{FAR_ZONE},1,Far\nbad-number\n"
    )

    async def cli(*argv: str) -> tuple[int, str, str]:
        code = await asyncio.to_thread(main, ["--config", str(config), "dialer", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = await cli(
        "create",
        "cli campaign",
        "--mode",
        "progressive",
        "--policy",
        json.dumps({"window": window_around_now()}),
    )
    assert code == 0
    cid = json.loads(out)["id"]
    code, out, err = await cli("import", str(cid), str(contacts_csv))
    assert code == 0 and "added 1 contact(s), skipped 1 line(s)" in out
    assert f"{contacts_csv}:3: number 'bad-number' is not a phone number" in err
    assert (await cli("create", "x", "--queue", "nope"))[0] == 1
    code, out, _ = await cli("campaigns")
    assert code == 0 and "cli campaign" in out
    for action, status in (("start", "running"), ("pause", "paused"), ("resume", "running")):
        code, out, _ = await cli(action, str(cid))
        assert code == 0 and json.loads(out)["status"] == status
    assert (await cli("pause", str(cid)))[0] == 0
    code, out, _ = await cli("resume", str(cid))
    code, out, _ = await cli("status", str(cid))
    status = json.loads(out)
    assert status["status"] == "running" and status["progress"]["contacts"]["pending"] == 1
    assert status["live"]["lines"] == 0, "the only contact is outside its calling window"
    code, out, _ = await cli("stop", str(cid))
    assert code == 0 and json.loads(out)["status"] == "stopped"
    await wait_for(lambda: cid not in engine.dialer.runners, what="the runner ended")
    code, out, _ = await cli("resume", str(cid))
    assert code == 1 and json.loads(out)["error_id"] == "conflict"
    code, out, _ = await cli("dnc", "1900001")
    assert code == 0 and json.loads(out)["added"] == 1


async def test_status_reports_every_adapter_and_the_dialer(engine, api):
    status = await api.call("GET", "/status")
    assert status["ari"]["connected"] is True and status["ami"]["logged_in"] is True
    assert status["redis"]["ok"] is True
    assert status["dialer"] == {
        "campaigns_running": len(engine.dialer.runners),
        "lines": sum(len(r.lines) for r in engine.dialer.runners.values()),
    }
    assert status["speech"] is None  # the integration settings turn speech off
    if timeslice.current_slice_ms() is not None:  # the kernel has EEVDF slices
        # the event loop's thread holds the short slice it asked for
        assert status["process"]["loop_slice_ms"] == pytest.approx(engine.settings.loop_slice_ms)


async def test_a_restarted_engine_lets_a_dialer_call_go_on_and_releases_its_agent(
    engine_factory, ari
):
    """The engine stops while a customer talks to an agent: the call goes on; the next
    engine adopts it and, when the customer hangs up, ends the agent's leg, releases the
    agent in routing and records the talk time."""
    first = await engine_factory()
    await first.router.presence.pause("2004", "meeting")  # 2003 takes the call
    await first.db.run(seed_callbacks, [("cust-restart", "1700001", "UTC", 0)])
    async with open_api(first) as api:
        campaign = await api.call(
            "POST",
            "/dialer/campaigns",
            {
                "name": "restart",
                "kind": "callback",
                "mode": "progressive",
                "policy": {"window": window_around_now()},
            },
            expect=201,
        )
        async with sim_globals(
            ari,
            {
                **parties.customer_globals(ring=1, talk=120),
                **parties.agent_defaults(delay=0.3, talk=120),
            },
        ):
            await api.call("POST", f"/dialer/campaigns/{campaign['id']}/start")

            def talking(db):
                found = query(
                    db,
                    "SELECT channel_id, agent_id FROM attempts WHERE "
                    "outcome = 'answered' AND talk_seconds IS NULL",
                )
                return (found[0]["channel_id"], found[0]["agent_id"]) if found else None

            channel, agent = await wait_for(
                lambda: first.db.run(talking), timeout=30, what="the customer talking to an agent"
            )
            await first.stop()
            assert {channel, f"{channel}-agent"} <= {c["id"] for c in await ari.channels()}

            second = await engine_factory()
            assert set(second.dialer.adoptions.by_channel) == {channel, f"{channel}-agent"}
            assert (await second.router.store.agent(agent)).get("state") == "on_call"
            await ari.hangup(channel)  # the customer hangs up

            async def released() -> bool:
                state = (await second.router.store.agent(agent)).get("state")
                return state in ("wrapup", "available")

            await wait_for(released, timeout=10, what="the agent released in routing")
    channels = {c["id"] for c in await ari.channels()}
    assert channel not in channels and f"{channel}-agent" not in channels
    assert second.dialer.adoptions.by_channel == {}

    def attempt(db):
        (row,) = query(
            db, "SELECT ended_at, talk_seconds FROM attempts WHERE channel_id = ?", channel
        )
        return row["ended_at"], row["talk_seconds"]

    ended_at, talked = await second.db.run(attempt)
    assert ended_at is not None and talked > 0


async def test_a_predictive_line_no_agent_could_take_is_hung_up_after_15_s_of_ringing(
    engine, ari, api
):
    """The only agent goes on a break while a line rings: a person answering now would be
    abandoned, so the predictive pacer hangs the line up once it has rung 15 s (never
    sooner) and records a no answer (retried as one), not an abandon."""
    await engine.router.presence.pause("2004", "meeting")
    cid = await new_campaign(api, "withdraw", "predictive", "2600001,cust-w\n", ring_seconds=40)
    async with sim_globals(ari, parties.customer_globals(noanswer_ring=60)):
        await api.call("POST", f"/dialer/campaigns/{cid}/start")
        runner = engine.dialer.runners[cid]
        learn_dials(runner.pacer, 200)  # a pacer that has seen a campaign's first dials
        line = await wait_for(
            lambda: next(iter(runner.lines.values()), None), what="the line is dialled"
        )
        await engine.router.presence.pause("2003", "break")
        await wait_for(lambda: not runner.lines, timeout=40, what="the line hung up")
    attempt = await engine.db.run(
        lambda db: query(db, "SELECT * FROM attempts WHERE channel_id = ?", line.id)[0]
    )
    assert attempt["outcome"] == "no-answer"
    assert json.loads(attempt["details"])["why"] == "hung-up-after-ringing"
    assert 15.0 <= attempt["ring_seconds"] < 25.0, "hung up after 15 s, long before its 40 s"
    c = (await contacts_of(engine, cid))["2600001"]
    assert (c["status"], c["last_outcome"]) == ("pending", "no-answer")
    status = await api.call("GET", f"/dialer/campaigns/{cid}")
    assert status["progress"]["abandon"]["live_answers"] == 0
    assert status["live"]["hung_up_ringing"] == 1
    assert await interventions_of(engine, "cust-w") == [("dialer:campaign", "no-answer")]


async def test_campaigns_sharing_agents_and_calls_waiting_for_them_are_one_pool(engine, ari, api):
    """Two predictive campaigns on the same agents: the second sees the first's line
    ringing for the one free agent and dials nothing; a call already waiting in routing
    for those agents (an inbound caller) counts against them too."""
    await engine.router.presence.pause("2004", "meeting")  # 2003 alone is free
    ids = [
        await new_campaign(api, name, "predictive", f"{number},cust-{name}\n", ring_seconds=60)
        for name, number in (("first", "2700001"), ("second", "2700002"))
    ]
    async with sim_globals(ari, parties.customer_globals(noanswer_ring=60)):
        await api.call("POST", f"/dialer/campaigns/{ids[0]}/start")
        first = engine.dialer.runners[ids[0]]
        await wait_for(lambda: first.lines, what="the first campaign dials for 2003")
        await api.call("POST", f"/dialer/campaigns/{ids[1]}/start")
        second = engine.dialer.runners[ids[1]]
        await asyncio.sleep(3)  # three pacing ticks
        assert not second.lines, "the second campaign dialled for the first's agent"
        snap = await second.snapshot(time.time())
        assert (snap.free_agents, len(snap.ringing), snap.waiting) == (1, 1, 0)

        await engine.router.presence.pause("2003", "break")
        await engine.router.enqueue(RouteRequest("inbound-waiting", "general", time.time()))
        snap = await second.snapshot(time.time())
        assert (snap.free_agents, snap.waiting) == (0, 1)
        await engine.router.cancel("inbound-waiting")
        for cid in ids:
            await api.call("POST", f"/dialer/campaigns/{cid}/stop")
        for line in list(first.lines):
            await ari.hangup(line)
        await wait_for(lambda: not first.lines, timeout=15, what="the line ended")


async def _one_line_in_amd(engine, api, name: str, row: str):
    """A progressive campaign of one contact, started, its line answered and in AMD;
    agent 2003 is the only one free."""
    await engine.router.presence.pause("2004", "meeting")
    cid = await new_campaign(api, name, "progressive", row + "\n")
    await api.call("POST", f"/dialer/campaigns/{cid}/start")
    runner = engine.dialer.runners[cid]
    line = await wait_for(
        lambda: next((ln for ln in runner.lines.values() if ln.state == "detecting"), None),
        timeout=20,
        what="the line answered, AMD listening",
    )
    return cid, runner, line


async def test_a_person_found_while_the_engine_is_unreachable_hears_the_identification(
    engine, ari, api
):
    """The event socket drops while AMD listens to a person, so Asterisk deactivates the
    engine's app and AMD's hand-over to it fails. The dialplan plays the person the
    identification message an abandoned call must play; back online, the campaign counts
    a live answer abandoned (the safe side: the verdict was lost), the number rests 72 h."""
    async with sim_globals(ari, parties.customer_globals(ring=1)):
        cid, runner, line = await _one_line_in_amd(engine, api, "outage", "1800007,cust-outage")
        connects = engine.events.connects
        engine.events.backoff_initial = 14.0  # 7-21 s down: AMD decides (about 5 s)
        await engine.events.drop()

        async def identifying() -> str | None:  # the REST side still answers
            chan = next((c for c in await ari.channels() if c["id"] == line.id), None)
            plan = (chan or {}).get("dialplan") or {}
            return plan.get("app_data") if plan.get("app_name") == "Playback" else None

        played = await wait_for(
            identifying,
            timeout=15,
            interval=0.2,
            what="the identification message played by the dialplan",
        )
        assert played == runner.identify_sounds == "hello&please-try-call-later"
        await wait_for(
            lambda: engine.events.connects > connects, timeout=30, what="the event socket back"
        )
        await wait_for(lambda: not runner.lines, timeout=20, what="the line closed")
    attempt = await engine.db.run(
        lambda db: query(db, "SELECT * FROM attempts WHERE channel_id = ?", line.id)[0]
    )
    assert attempt["outcome"] == "abandoned" and attempt["live"] == 1
    assert json.loads(attempt["details"])["why"] == "verdict-lost"
    status = await api.call("GET", f"/dialer/campaigns/{cid}")
    abandon = status["progress"]["abandon"]
    assert (abandon["live_answers"], abandon["abandoned"]) == (1, 1)
    assert runner.guard.counts.totals(time.time()) == (1, 1)
    assert not runner.guard.redial_allowed("1800007", time.time() + 3600), "rests 72 h"


async def test_a_verdict_whose_event_was_lost_is_carried_out_after_the_reconnect(engine, ari, api):
    """A half-open socket (a network fault the heartbeat has not caught yet): Asterisk
    keeps the app active and the person enters Stasis after AMD, but the event never
    arrives. On reconnect the campaign finds the channel waiting in Stasis with AMD's
    verdict and carries it out: the person reaches the agent. The live answer counts as
    abandoned all the same (the safe side: the person may have waited past 2 s)."""
    async with sim_globals(ari, parties.customer_globals(ring=1)):
        cid, runner, line = await _one_line_in_amd(
            engine, api, "half-open", "1800008,cust-half-open"
        )
        hear = engine.events.on_event
        engine.events.on_event = lambda event: None  # events go nowhere

        async def in_stasis() -> bool:
            chan = next((c for c in await ari.channels() if c["id"] == line.id), None)
            return (chan or {}).get("dialplan", {}).get("app_name") == "Stasis"

        try:
            await wait_for(in_stasis, timeout=15, what="AMD done, the person in Stasis")
        finally:
            engine.events.on_event = hear
        connects = engine.events.connects
        await engine.events.drop()  # the heartbeat's verdict
        await wait_for(lambda: engine.events.connects > connects, what="reconnected")
        await wait_for(
            lambda: line.state == "talking",
            timeout=15,
            what="the person bridged to the agent after the reconnect",
        )
        assert line.agent_id == "2003" and line.late
        bridge = {b["id"]: b for b in await ari.bridges()}[line.bridge_id]
        assert set(bridge["channels"]) == {line.id, line.agent_channel}
        await ari.hangup(line.id)
        await wait_for(lambda: not runner.lines, what="the line closed")
    attempt = await engine.db.run(
        lambda db: query(db, "SELECT * FROM attempts WHERE channel_id = ?", line.id)[0]
    )
    assert attempt["outcome"] == "answered" and json.loads(attempt["details"])["late_verdict"]
    abandon = (await api.call("GET", f"/dialer/campaigns/{cid}"))["progress"]["abandon"]
    assert (abandon["live_answers"], abandon["abandoned"]) == (1, 1)
    assert runner.guard.counts.totals(time.time()) == (1, 1)


async def test_a_line_dialled_while_the_dialer_resyncs_rings_on(engine, ari, api, monkeypatch):
    """After each reconnect the dialer holds its lines against Asterisk's channel list. A
    line dialled while that list was on its way is not in it: it must ring on and reach
    the agent, not be closed as gone (and its customer hung up on when they answer)."""
    await engine.router.presence.pause("2004", "meeting")
    async with sim_globals(ari, parties.customer_globals(ring=3, talk=2)):
        asked, release = reply_held(engine.dialer.deps.ari, monkeypatch)
        resync = asyncio.create_task(engine.dialer.resync())
        await asyncio.wait_for(asked.wait(), 5)
        cid = await new_campaign(api, "resync-race", "progressive", "1800009,cust-resync\n")
        await api.call("POST", f"/dialer/campaigns/{cid}/start")
        runner = engine.dialer.runners[cid]
        line = await wait_for(
            lambda: next(iter(runner.lines.values()), None), what="the line dialled"
        )
        release.set()
        await resync
        await runner.ask(asyncio.sleep, 0)  # whatever the resync posted has run
        assert runner.lines.get(line.id) is line and line.state == "ringing"
        await wait_for(
            lambda: line.state == "talking",
            timeout=20,
            what="the customer answered and bridged to the agent",
        )
        assert line.agent_id == "2003"
        await wait_for(lambda: not runner.lines, timeout=20, what="the call ended")
    attempt = await engine.db.run(
        lambda db: query(db, "SELECT * FROM attempts WHERE channel_id = ?", line.id)[0]
    )
    assert attempt["outcome"] == "answered"


async def test_an_agent_leg_made_while_the_dialer_resyncs_is_not_taken_for_gone(
    engine, ari, api, monkeypatch
):
    """The same race one step later: the list is taken while AMD listens, and by the time
    it arrives the person was handed to agent 2003, whose phone is not in it. The talk
    goes on (the customer is not hung up on as if the agent had left)."""
    async with sim_globals(ari, parties.customer_globals(ring=1, talk=4)):
        _, runner, line = await _one_line_in_amd(
            engine, api, "resync-agent", "1800010,cust-resync-agent"
        )
        asked, release = reply_held(engine.dialer.deps.ari, monkeypatch)
        resync = asyncio.create_task(engine.dialer.resync())
        await asyncio.wait_for(asked.wait(), 5)
        await wait_for(
            lambda: line.state == "talking", timeout=20, what="the person bridged to the agent"
        )
        release.set()
        await resync
        await runner.ask(asyncio.sleep, 0)
        assert runner.lines.get(line.id) is line and line.state == "talking"
        bridge = {b["id"]: b for b in await ari.bridges()}[line.bridge_id]
        assert set(bridge["channels"]) == {line.id, line.agent_channel}
        await wait_for(lambda: not runner.lines, timeout=20, what="the call ended")
    attempt = await engine.db.run(
        lambda db: query(db, "SELECT * FROM attempts WHERE channel_id = ?", line.id)[0]
    )
    assert attempt["outcome"] == "answered"
