"""Routing with real calls on the sandbox Asterisk and a real Redis (issue 3)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from engine.calls.ports import Caller
from tests.integration.helpers import place_caller, wait_for

pytestmark = pytest.mark.integration
SKILLS = Path(__file__).parent / "skills"


class Directory:
    """A caller lookup for tests: the profile store's role, filled from a dict."""

    def __init__(self, callers: dict[str, Caller]) -> None:
        self.callers = callers

    async def identify(self, caller_number: str) -> Caller | None:
        return self.callers.get(caller_number)


def connected(engine, caller: str):
    runner = engine.calls.runners.get(f"{caller};2")
    return runner if runner is not None and runner.call.status == "connected" else None


async def _states(engine) -> dict[str, str]:
    return {a.get("agent_id", a.get("id")): a["state"] for a in await engine.router.presence.list()}


async def test_technical_call_reaches_a_technical_expert(engine, ari):
    caller = await place_caller(ari, "8200", "13811110001")
    runner = await wait_for(lambda: connected(engine, caller), what="bridged")
    assert runner.call.offer.agent_id in {"2001", "2002"}
    assert runner.call.offer.hints == (), "an expert needs no knowledge-base hint"


async def test_experts_busy_escalates_to_general_agent_with_knowledge_base_hint(engine, ari):
    for expert in ("2001", "2002"):
        await engine.router.presence.pause(expert, "meeting")
    caller = await place_caller(ari, "8200", "13811110002")
    runner = await wait_for(
        lambda: connected(engine, caller), timeout=20, what="bridged after escalation"
    )
    call = runner.call
    assert call.offer.agent_id == "2003", "the general agent took it after 3 s"
    assert call.record["connected_at"] - call.record["queued_at"] >= 3.0
    desk = await wait_for(lambda: engine.desk.current("2003"), what="the agent's desk card")
    assert desk["call_id"] == call.call_id and desk["topic"] == "technical"
    hint_text = " ".join(str(h) for h in desk["hints"])
    assert "router" in hint_text, f"knowledge-base answer for technical: {desk['hints']}"


async def test_vip_caller_overtakes_earlier_callers_and_reaches_platinum(engine_factory, ari):
    vip_number = "13999990000"
    engine = await engine_factory(
        lookup=Directory({vip_number: Caller("cust-vip", name="Zhao Min", value_percentile=99.0)})
    )
    agents = list(await _states(engine))
    for agent_id in agents:
        await engine.router.presence.pause(agent_id, "meeting")
    ordinary = [await place_caller(ari, "8100", f"1381111{i:04d}") for i in range(3)]
    await wait_for(
        lambda: sum(1 for r in engine.calls.runners.values() if r.call.status == "queued") == 3,
        what="three waiting",
    )
    vip = await place_caller(ari, "8100", vip_number)
    await wait_for(
        lambda: sum(1 for r in engine.calls.runners.values() if r.call.status == "queued") == 4,
        what="VIP waiting too",
    )
    await engine.router.presence.unpause("2004")  # the platinum agent comes back
    runner = await wait_for(lambda: connected(engine, vip), what="VIP bridged first")
    assert runner.call.offer.agent_id == "2004"
    assert runner.call.record["vip_tier"] == "platinum"
    assert not any(connected(engine, c) for c in ordinary), "earlier callers still wait"
    desk = await wait_for(lambda: engine.desk.current("2004"), what="desk card")
    assert desk["customer_name"] == "Zhao Min" and desk["vip_tier"] == "platinum"


async def test_broken_yaml_edit_is_refused_and_calls_keep_being_routed(
    engine_factory, ari, tmp_path
):
    skills = tmp_path / "skills"
    shutil.copytree(SKILLS, skills)
    engine = await engine_factory(skills_dir=str(skills))
    (skills / "queues.yaml").write_text(
        (skills / "queues.yaml")
        .read_text()
        .replace("skills: {technical: 3}", "skills: {technical: nine}")
    )
    assert await engine.router.reload_now() is False
    errors = " ".join(str(e) for e in engine.router.reload_errors)
    assert "queues.yaml:" in errors, errors
    caller = await place_caller(ari, "8200", "13811110003")
    runner = await wait_for(lambda: connected(engine, caller), what="routed by the old config")
    assert runner.call.offer.agent_id in {"2001", "2002"}
    await asyncio.sleep(0)


async def test_watcher_and_sighup_share_the_one_reload_path(engine_factory, tmp_path):
    skills = tmp_path / "skills"
    shutil.copytree(SKILLS, skills)
    engine = await engine_factory(skills_dir=str(skills))
    ivr = skills / "ivr.yaml"
    good = ivr.read_text()
    ivr.write_text(good.replace("timeout: 4", "timeout: 6", 1))  # the file watcher
    await wait_for(lambda: engine._ivr.menus["main"].timeout == 6.0, what="watcher reload")
    before = engine._ivr
    ivr.write_text(good.replace("retries: 2", "retries: 2\n    retries: 3", 1))
    engine.reload()  # SIGHUP
    await wait_for(lambda: engine.skills.errors, what="refused edit")
    status = await engine.status()
    [error] = status["skills"]["last_reload_errors"]
    assert error.startswith(f"{ivr}:") and "duplicate key 'retries'" in error
    assert engine._ivr is before, "the last good IVR stays"
