"""The listening budget on real calls (issue 13): the sandbox Asterisk, a real Redis, the
real model. More legs than the budget: only the admitted ones are tapped (counted in
Asterisk's own channel list), the rest wait in GET /status; a freed slot goes to the
waiting VIP caller before an ordinary caller who has waited longer; an IVR speech menu is
heard beyond the budget. Callers dial DIDs that go straight to a queue (no menu), so the
legs heard are the connected calls' caller and agent legs, ranked by the default policy.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from engine.calls.ports import Caller
from tests.integration.dialer_helpers import open_api
from tests.integration.helpers import bridges_by_id, channel_ids, place_caller, wait_for

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
TAP = re.compile(r"^(?P<call>.+)-hear-(?P<role>caller|agent)-\d+-(?P<end>spy|rtp)$")


class Directory:
    def __init__(self, callers: dict[str, Caller]) -> None:
        self.callers = callers

    async def identify(self, caller_number: str) -> Caller | None:
        return self.callers.get(caller_number)


@pytest.fixture
async def budget_engine(engine_factory, tmp_path):
    """An engine hearing one leg at once; the integration skills plus the shipped speech
    menus (no listening.yaml: the default policy)."""
    for path in (Path(__file__).parent / "skills").glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    shutil.copy(ROOT / "skills" / "speech-menus.yaml", tmp_path / "speech-menus.yaml")
    vip = {"13800000003": Caller("cust-budget-vip", name="Gold", language="zh", vip_tier="gold")}
    return await engine_factory(
        lookup=Directory(vip),
        speech_enabled=True,
        skills_dir=str(tmp_path),
        speech_workers=1,
        speech_max_legs=1,
    )


async def taps_in_asterisk(ari) -> dict[tuple[str, str], set[str]]:
    """(call, role) -> the tap channels Asterisk has for it ({"spy", "rtp"} when whole)."""
    out: dict[tuple[str, str], set[str]] = {}
    for cid in await channel_ids(ari):
        m = TAP.match(cid)
        if m:
            out.setdefault((m["call"], m["role"]), set()).add(m["end"])
    return out


async def connected_call(engine, channel: str) -> str:
    def check():
        runner = engine.calls.runners.get(f"{channel};2")
        return runner.call.call_id if runner and runner.call.status == "connected" else None

    return await wait_for(check, timeout=20, what=f"{channel} bridged to an agent")


async def test_only_admitted_legs_are_tapped_and_a_freed_slot_goes_to_the_vip(budget_engine, ari):
    engine = budget_engine
    async with open_api(engine) as api:
        status = await api.call("GET", "/status")
        assert status["speech"]["budget"]["budget"] == 1
        assert status["speech"]["budget"]["source"] == "configured"

        first = await place_caller(ari, "8200", "13800000001")  # technical: 2001
        a = await connected_call(engine, first)
        await wait_for(
            lambda: _taps_are(ari, {(a, "caller")}), what="the first caller tapped, alone"
        )
        ordinary = await place_caller(ari, "8100", "13800000002")  # general
        b = await connected_call(engine, ordinary)
        vip = await place_caller(ari, "8200", "13800000003")  # technical: 2002
        c = await connected_call(engine, vip)

        async def queue():
            status = await api.call("GET", "/status")
            return [(w["call_id"], w["role"]) for w in status["speech"]["budget"]["waiting"]]

        expected = [(c, "caller"), (b, "caller"), (a, "agent"), (b, "agent"), (c, "agent")]
        await wait_for(lambda: _equal(queue(), expected), what="five legs waiting, VIP first")
        status = (await api.call("GET", "/status"))["speech"]
        assert status["budget"]["admitted_by_kind"] == {"ivr": 0, "caller": 1, "agent": 0}
        waiting = status["budget"]["waiting"]
        assert [w["kind"] for w in waiting] == ["caller", "caller", "agent", "agent", "agent"]
        assert waiting[0]["rule"] == "valued or upset callers" and waiting[0]["waiting_since"]
        assert status["ports"] == 1, "one media port: the admitted leg's"
        assert await taps_in_asterisk(ari) == {(a, "caller"): {"spy", "rtp"}}, (
            "three calls, six legs: only the admitted one has a snoop and an externalMedia"
        )

        # the first call ends: its caller's slot goes to the VIP, who came after the
        # ordinary caller; its agent leg leaves the queue
        await ari.hangup(first)
        await wait_for(
            lambda: _taps_are(ari, {(c, "caller")}), what="the VIP caller tapped in its place"
        )
        assert await queue() == [(b, "caller"), (b, "agent"), (c, "agent")]

        # an IVR speech menu is heard beyond the budget
        ivr = await place_caller(ari, "8000", "13800000004")
        runner = await wait_for(
            lambda: engine.calls.runners.get(f"{ivr};2"), what="a caller in the speech menu"
        )
        d = runner.call.call_id
        await wait_for(
            lambda: _taps_are(ari, {(c, "caller"), (d, "caller")}),
            what="the IVR caller heard beyond the budget",
        )
        status = (await api.call("GET", "/status"))["speech"]["budget"]
        assert status["admitted_by_kind"] == {"ivr": 1, "caller": 1, "agent": 0}

    for channel in (ordinary, vip, ivr):
        await ari.hangup(channel)
    await wait_for(lambda: _nothing_heard(engine, ari), what="listening torn down")


async def _taps_are(ari, legs: set[tuple[str, str]]) -> bool:
    taps = await taps_in_asterisk(ari)
    return set(taps) == legs and all(ends == {"spy", "rtp"} for ends in taps.values())


async def _equal(value, expected) -> bool:
    return await value == expected


async def _nothing_heard(engine, ari) -> bool:
    bridges = await bridges_by_id(ari)
    return (
        not await taps_in_asterisk(ari)
        and not any(b.startswith("speech-") for b in bridges)
        and not engine.speech.calls.legs
        and not engine.speech.media.ports_in_use
        and engine.speech.admission.snapshot(0)["admitted"] == 0
        and not engine.speech.admission.waiting
    )


async def test_the_budget_is_measured_at_start_when_not_configured(engine_factory, tmp_path):
    for path in (Path(__file__).parent / "skills").glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    engine = await engine_factory(speech_enabled=True, skills_dir=str(tmp_path), speech_workers=2)
    async with open_api(engine) as api:
        budget = (await api.call("GET", "/status"))["speech"]["budget"]
    assert budget["source"] == "calibrated" and budget["budget"] >= 1
    calibration = budget["calibration"]
    assert calibration["audio_seconds"] == 4.0 and calibration["real_time_factor"] > 0
    print(f"calibrated budget: {budget['budget']} legs, {calibration}")
