"""What people do from the pages, through the same routes the pages call (issue 14): an
agent's preview dialing (next, skip), a supervisor pausing and resuming a campaign and
logging an agent out, each audited. Real engine, sandbox Asterisk, Redis, SQLite."""

from __future__ import annotations

import contextlib
import time

import aiohttp
import pytest

from engine.users import store
from engine.users.service import user_row
from tests.integration import test_screenpop as screenpop_tests
from tests.integration.dialer_helpers import new_campaign, open_api
from tests.integration.helpers import bridges_by_id, place_caller, wait_for
from tests.storedb import query

pytestmark = pytest.mark.integration


@pytest.fixture
async def engine(engine_factory, tmp_path):
    """An engine with a database of its own: the users below exist in this test only."""
    return await engine_factory(database_path=str(tmp_path / "engine.db"))


PASSWORD = "desk-actions-password"


class Browser:
    """A logged-in person: session cookie plus the CSRF token on writes, as the pages do."""

    def __init__(self, engine, session: aiohttp.ClientSession) -> None:  # type: ignore[no-untyped-def]
        self.base = f"http://{engine.settings.http_host}:{engine.settings.http_port}"
        self.session = session
        self.csrf = ""

    async def login(self, name: str) -> None:
        body = {"name": name, "password": PASSWORD}
        async with self.session.post(self.base + "/login", json=body) as resp:
            assert resp.status == 200
            self.csrf = (await resp.json())["csrf"]

    async def call(self, method: str, path: str, body=None, expect: int = 200):  # type: ignore[no-untyped-def]
        headers = {"X-CSRF-Token": self.csrf} if method != "GET" else {}
        async with self.session.request(
            method, self.base + path, json=body, headers=headers
        ) as resp:
            payload = await resp.json()
            assert resp.status == expect, (method, path, resp.status, payload)
            return payload


def _jar() -> aiohttp.CookieJar:
    return aiohttp.CookieJar(unsafe=True)  # the engine listens on an IP address


@contextlib.asynccontextmanager
async def agent_and_supervisor(engine, agent_id: str):  # type: ignore[no-untyped-def]
    """Users li (agent ``agent_id``) and wang (supervisor), each logged in."""
    now = time.time()
    for name, role, agent in (("li", "agent", agent_id), ("wang", "supervisor", None)):
        await engine.db.run(store.add_user, user_row(name, role, agent, "en", PASSWORD, now))
    async with (
        aiohttp.ClientSession(cookie_jar=_jar()) as s1,
        aiohttp.ClientSession(cookie_jar=_jar()) as s2,
    ):
        agent, supervisor = Browser(engine, s1), Browser(engine, s2)
        await agent.login("li")
        await supervisor.login("wang")
        yield agent, supervisor


async def test_preview_dialing_and_supervisor_actions(engine):
    now = time.time()
    for name, role, agent in (("li", "agent", "2004"), ("wang", "supervisor", None)):
        await engine.db.run(store.add_user, user_row(name, role, agent, "en", PASSWORD, now))
    async with (
        open_api(engine) as api,
        aiohttp.ClientSession(cookie_jar=_jar()) as s1,
        aiohttp.ClientSession(cookie_jar=_jar()) as s2,
    ):
        csv = "1800001,pv-1,UTC,9,First\n1800002,pv-2,UTC,1,Second\n"
        cid = await new_campaign(api, "pv", "preview", csv)
        await api.call("POST", f"/dialer/campaigns/{cid}/start")
        agent, supervisor = Browser(engine, s1), Browser(engine, s2)
        await agent.login("li")
        await supervisor.login("wang")

        # the agent previews and skips; another agent's preview is not theirs to take
        first = (await agent.call("GET", f"/desk/preview/{cid}"))["contact"]
        assert first["number"] == "1800001"
        await agent.call("GET", f"/desk/preview/{cid}?agent=2003", expect=403)
        await agent.call("POST", f"/desk/preview/{cid}/{first['id']}/skip")
        second = (await agent.call("GET", f"/desk/preview/{cid}"))["contact"]
        assert second["number"] == "1800002"

        # the supervisor pauses and resumes the campaign; the agent may not
        await agent.call("POST", f"/wallboard/campaigns/{cid}/pause", expect=403)
        paused = await supervisor.call("POST", f"/wallboard/campaigns/{cid}/pause")
        assert paused["status"] == "paused"
        resumed = await supervisor.call("POST", f"/wallboard/campaigns/{cid}/resume")
        assert resumed["status"] == "running"

        # ... and logs the agent out: presence and sessions
        out = await supervisor.call("POST", "/wallboard/agents/2004/logout")
        assert out["state"] == "logged_out" and out["sessions_ended"] == 1
        assert (await engine.router.store.agent("2004"))["state"] == "logged_out"
        await agent.call("GET", "/me", expect=401)

        data = await supervisor.call("GET", "/wallboard/data")
        actions = [(a["by"], a["action"], a["target"]) for a in data["audit"]]
        assert actions == [
            ("wang", "agent.logout", "agent:2004"),
            ("wang", "campaign.resume", f"campaign:{cid}"),
            ("wang", "campaign.pause", f"campaign:{cid}"),
        ]
        await api.call("POST", f"/dialer/campaigns/{cid}/stop")


screen_engine = screenpop_tests.screen_engine  # the seeded customer who calls


async def test_listen_barge_and_a_callback_disposition(screen_engine, ari):
    engine = screen_engine
    async with agent_and_supervisor(engine, "2003") as (agent, supervisor):
        caller = await place_caller(ari, "8000", screenpop_tests.NUMBER, dtmf="2")
        card = await wait_for(lambda: engine.desk.current("2003"), timeout=25, what="the call")
        call_id = card["call_id"]

        # the agent cannot listen in; the supervisor listens, then barges, from their phone
        phone = {"endpoint": "Local/2998@sim-agents"}
        await agent.call("POST", f"/wallboard/calls/{call_id}/listen", phone, expect=403)
        sessions = []
        for mode in ("listen", "barge"):
            answer = await supervisor.call(
                "POST", f"/wallboard/calls/{call_id}/{mode}", phone, expect=201
            )
            sessions.append(answer["session"])

        async def joined() -> bool:
            bridges = await bridges_by_id(ari)
            return all(len(bridges.get(f"monitor-{s}", [])) == 2 for s in sessions)

        await wait_for(joined, timeout=15, what="both monitor bridges with two legs")
        snoops = [c for c in await ari.channels() if c["name"].startswith("Snoop/")]
        assert len(snoops) == 2

        # a callback at a time: an intervention, and a pending callback for the dialer
        due = "2030-01-02T03:04:00Z"
        body = {"call_id": call_id, "outcome": "callback", "callback_at": due}
        saved = await agent.call("POST", "/desk/disposition", body, expect=201)
        assert saved["outcome"] == "callback"
        bad = {"call_id": call_id, "outcome": "callback", "callback_at": "soon"}
        await agent.call("POST", "/desk/disposition", bad, expect=400)
        rows = await engine.db.run(
            lambda d: query(d, "SELECT * FROM callbacks WHERE reason = 'agent-callback'")
        )
        assert [(r["customer_id"], r["status"], r["due_at"]) for r in rows] == [
            (screenpop_tests.CUSTOMER, "pending", 1893553440.0)
        ]

        # hanging up the call ends the supervisors' legs too
        await ari.hangup(caller)

        async def monitors_gone() -> bool:
            bridges = await bridges_by_id(ari)
            channels = {c["id"] for c in await ari.channels()}
            return not any(b.startswith("monitor-") for b in bridges) and not any(
                c.startswith("sup-") for c in channels
            )

        await wait_for(monitors_gone, timeout=15, what="the monitor legs and bridges gone")
        audit = await supervisor.call("GET", "/wallboard/data")
        assert [a["action"] for a in audit["audit"]] == ["call.barge", "call.listen"]


async def test_wallboard_history_is_the_last_hour_from_redis(engine):
    """The wallboard's charts start from the engine's samples, kept in Redis (a ring of
    240 x 15 s), not from what the page has seen; agents may not read them."""
    now = time.time()
    recorder = engine.wallboard_history
    await engine.redis.delete(recorder.key)
    for minutes in (90, 30, 10, 0):  # the first is older than the hour: left out
        await recorder.record(now - minutes * 60)
    async with agent_and_supervisor(engine, "2004") as (agent, supervisor):
        await agent.call("GET", "/wallboard/history", expect=403)
        got = await supervisor.call("GET", "/wallboard/history")
        data = await supervisor.call("GET", "/wallboard/data")
    assert got["step"] == 15.0 and got["capacity"] == 240
    ages = [round((now - p["at"]) / 60) for p in got["points"]]  # the engine's own task
    assert ages[:2] == [30, 10] and ages[-1] == 0 and 90 not in ages, ages  # may add one
    queues = {q["queue"]: q["waiting"] for q in data["queues"]}
    assert {q: v["waiting"] for q, v in got["points"][-1]["queues"].items()} == queues
    assert await engine.redis.hlen(recorder.key) <= 240
