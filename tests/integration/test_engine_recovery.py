"""An engine that dies is cleaned up after (issue 18 part 4), on one box: the engine runs
as a real process and is SIGKILLed with a bridged call; the caller hangs up while it is
down; the restarted engine frees the agent and closes the call's record. Two engines
with one ``instance_id`` are refused."""

from __future__ import annotations

import json

import pytest

from engine.routing.recovery import InstanceInUse
from tests.integration.helpers import on_call_agent, place_caller, wait_for

pytestmark = pytest.mark.integration
PREFIX = "tenure"


async def agent_state(redis, agent_id: str) -> str:
    return await redis.hget(f"{PREFIX}:agent:{agent_id}", "state") or ""


async def test_killed_engine_restarts_and_frees_the_agent_of_a_call_that_ended_meanwhile(
    engine_settings, sandbox, ari, redis_client, engine_processes
):
    first = await engine_processes(engine_settings, instance_id="solo")
    caller = await place_caller(ari, "8100", "13800138071")
    agent_id, call_id = await wait_for(
        lambda: on_call_agent(redis_client), timeout=20, what="caller bridged to an agent"
    )
    await wait_for(lambda: _live(redis_client, call_id), what="the live call shown connected")
    first.kill()
    await ari.hangup(caller)  # the caller hangs up while no engine watches
    await wait_for(lambda: _gone(ari, call_id), what="the caller's channel gone")
    assert await agent_state(redis_client, agent_id) == "on_call"  # nobody freed them yet

    second = await engine_processes(engine_settings, instance_id="solo")
    await wait_for(
        lambda: _is(redis_client, agent_id, "available"), timeout=10, what="agent available"
    )
    status, record = await second.api("GET", f"/calls/records/{call_id}")
    assert status == 200, record
    assert record["status"] == "completed" and record["end_cause"] == "engine-lost"
    assert record["ended_at"] and record["agent_id"] == agent_id
    assert not await redis_client.hexists(f"{PREFIX}:calls:live", call_id)


async def test_a_second_engine_with_the_same_instance_id_is_refused(
    engine_settings, sandbox, engine_factory, engine_processes
):
    await engine_factory(instance_id="twin")
    with pytest.raises(InstanceInUse, match="instance_id 'twin' is in use"):
        await engine_factory(instance_id="twin")
    # the command line says so in one line and exits 2
    second = await engine_processes(engine_settings, wait=False, instance_id="twin")
    assert await second.exited() == 2
    errors = [ln for ln in second.tail(50).splitlines() if ln.startswith("error:")]
    assert errors == [
        "error: instance_id 'twin' is in use by a live engine on this Redis "
        "(heartbeat tenure:alive:twin); give each engine its own instance_id"
    ]


async def _live(redis, call_id: str) -> bool:
    raw = await redis.hget(f"{PREFIX}:calls:live", call_id)
    return raw is not None and json.loads(raw)["status"] == "connected"


async def _gone(ari, channel_id: str) -> bool:
    return channel_id not in {c["id"] for c in await ari.channels()}


async def _is(redis, agent_id: str, state: str) -> bool:
    return await agent_state(redis, agent_id) == state
