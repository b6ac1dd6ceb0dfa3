"""A whole campaign on the real sandbox Asterisk with simulated customers and agents
(issue 5, item 7), and preview mode with the agent confirming each call."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from engine.sim import parties
from tests.integration.dialer_helpers import (
    Api,
    contacts_of,
    open_api,
    window_around_now,
)
from tests.integration.helpers import sim_globals, wait_for
from tests.storedb import query

pytestmark = pytest.mark.integration


@pytest.fixture
async def api(engine) -> AsyncIterator[Api]:
    async with open_api(engine) as client:
        yield client


KINDS = {"1": "human", "2": "noanswer", "3": "busy", "4": "machine", "5": "congestion"}
MIX = {"human": 8, "machine": 4, "busy": 3, "noanswer": 3, "congestion": 2}


def csv_of_twenty() -> str:
    lines = ["number,customer_id,timezone,priority,name"]
    for kind, count in MIX.items():
        for i in range(count):
            number = parties.customer_number(kind, f"7{i:05d}")  # 1900001 is on the DNC
            lines.append(f"{number},e2e-{number},UTC,{10 - i},{kind} {i}")
    lines.insert(3, "not-a-number,x,UTC,1,bad")  # line 4
    lines.append("1999999,y,Moon/Base,1,bad zone")  # line 23
    return "\n".join(lines) + "\n"


async def test_a_predictive_campaign_of_twenty_runs_to_the_end(engine, ari, api):
    campaign = await api.call(
        "POST",
        "/dialer/campaigns",
        {
            "name": "spring e2e",
            "kind": "manual",
            "mode": "predictive",
            "policy": {
                "window": window_around_now(),
                "max_attempts": 2,
                "machine": "retry",
                "retry_seconds": {"busy": 1, "no-answer": 1, "machine": 1, "failed": 1},
            },
        },
        expect=201,
    )
    cid = campaign["id"]
    imported = await api.call("POST", f"/dialer/campaigns/{cid}/import", data=csv_of_twenty())
    assert imported["added"] == 20
    assert [e["line"] for e in imported["errors"]] == [4, 23]
    assert "Moon/Base" in imported["errors"][1]["reason"]
    async with sim_globals(
        ari,
        {
            **parties.customer_globals(ring=1, noanswer_ring=3),
            **parties.agent_defaults(delay=0.3, talk=3),
        },
    ):
        await api.call("POST", f"/dialer/campaigns/{cid}/start")

        async def done() -> bool:
            status = await api.call("GET", f"/dialer/campaigns/{cid}")
            return status["status"] == "done"

        await wait_for(done, timeout=240, interval=1.0, what="the campaign is done")
    status = await api.call("GET", f"/dialer/campaigns/{cid}")
    assert status["progress"]["contacts"]["total"] == 20
    assert status["progress"]["contacts"]["pending"] == 0
    by_outcome = status["progress"]["attempts"]["by_outcome"]
    assert by_outcome == {"answered": 8, "machine": 8, "busy": 6, "no-answer": 6, "failed": 4}
    assert status["progress"]["abandon"]["rate"] == 0.0
    assert status["agents"]["eligible"] == 2 and status["agents"]["occupancy"] is not None
    contacts = await contacts_of(engine, cid)
    for number, row in contacts.items():
        kind = KINDS[number[0]]
        if kind == "human":
            assert (row["status"], row["last_outcome"], row["attempts"]) == (
                "done",
                "answered",
                1,
            ), row
        else:
            assert (row["status"], row["attempts"]) == ("exhausted", 2), row

    def agents(db):
        return {
            r["agent_id"]
            for r in query(
                db,
                "SELECT agent_id FROM attempts WHERE campaign_id = ? AND outcome = 'answered'",
                cid,
            )
        }

    assert await engine.db.run(agents) <= {"2003", "2004"}


async def test_preview_the_agent_confirms_each_call(engine, ari, api):
    campaign = await api.call(
        "POST",
        "/dialer/campaigns",
        {
            "name": "preview",
            "kind": "manual",
            "mode": "preview",
            "policy": {"window": window_around_now()},
        },
        expect=201,
    )
    cid = campaign["id"]
    await api.call(
        "POST",
        f"/dialer/campaigns/{cid}/import",
        data="1800001,pv-1,UTC,9,First\n1800002,pv-2,UTC,1,Second\n",
    )
    await api.call("POST", f"/dialer/campaigns/{cid}/start")
    first = (await api.call("GET", f"/dialer/campaigns/{cid}/preview?agent=2004"))["contact"]
    assert first["number"] == "1800001" and first["status"] == "previewing"
    again = (await api.call("GET", f"/dialer/campaigns/{cid}/preview?agent=2004"))["contact"]
    assert again["id"] == first["id"], "the same contact until accepted or skipped"
    await api.call("POST", f"/dialer/campaigns/{cid}/preview/{first['id']}/skip", {"agent": "2004"})
    second = (await api.call("GET", f"/dialer/campaigns/{cid}/preview?agent=2004"))["contact"]
    assert second["number"] == "1800002"
    err = await api.call(
        "POST",
        f"/dialer/campaigns/{cid}/preview/{second['id']}/accept",
        {"agent": "2003"},
        expect=409,
    )
    assert "preview" in err["message"]
    async with sim_globals(
        ari, {**parties.customer_globals(ring=1), **parties.agent_defaults(delay=0.3, talk=3)}
    ):
        await api.call(
            "POST", f"/dialer/campaigns/{cid}/preview/{second['id']}/accept", {"agent": "2004"}
        )
        agent = await engine.router.store.agent("2004")
        assert agent["state"] == "ringing", "reserved for the preview call before the dial"
        desk = await wait_for(
            lambda: engine.desk.current("2004"),
            timeout=20,
            what="the preview call bridged to agent 2004",
        )
        assert desk["caller_number"] == "1800002" and desk["customer_id"] == "pv-2"
        await wait_for(
            lambda: not engine.dialer.runners[cid].lines, timeout=20, what="the call ended"
        )
    rows = await contacts_of(engine, cid)
    assert (rows["1800002"]["status"], rows["1800002"]["last_outcome"]) == ("done", "answered")
    assert rows["1800001"]["status"] == "pending" and rows["1800001"]["attempts"] == 0
    none = (await api.call("GET", f"/dialer/campaigns/{cid}/preview?agent=2004"))["contact"]
    assert none is None, "the skipped contact waits 15 minutes"
