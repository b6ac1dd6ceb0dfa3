"""The inbound call path end to end on the real sandbox Asterisk and a real Redis.

Simulated callers (Local channels running the ``sim-caller`` dialplan) dial a DID, send
DTMF into the IVR and wait; simulated agents (``sim-agents``) answer after a delay. Every
check is made through ARI (what Asterisk really has) and the call record in SQLite.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.integration.helpers import (
    bridges_by_id,
    channel_ids,
    place_caller,
    reply_held,
    wait_for,
)

pytestmark = pytest.mark.integration


async def connected_call(engine, caller_channel: str):
    """The engine's live call for this simulated caller once it is bridged to an agent."""
    runner = engine.calls.runners.get(f"{caller_channel};2")
    return runner if runner is not None and runner.call.status == "connected" else None


async def _variable(ari, channel: str, name: str) -> str:
    return (await ari.call("get_variable", channelId=channel, variable=name))["value"]


async def test_ivr_key_routes_caller_to_agent_and_call_is_recorded(engine, ari):
    caller = await place_caller(ari, "8000", "13800138000", dtmf="1", dtmf_delay=1.5)
    runner = await wait_for(lambda: connected_call(engine, caller), what="caller bridged")
    call_id = runner.call.call_id

    bridges = await bridges_by_id(ari)
    members = set(bridges[f"tenure-{call_id}"])
    assert members == {call_id, runner.call.agent_channel}, "caller and agent share one bridge"
    # The agent's leg was asked for the caller's codec (G.711 from the network), so the
    # bridge passes audio without transcoding, and it carries the caller's linked id.
    agent = runner.call.agent_channel
    assert await _variable(ari, call_id, "CHANNEL(audionativeformat)") == "(ulaw)"
    assert await _variable(ari, agent, "CHANNEL(audionativeformat)") == "(ulaw)"
    linked = await _variable(ari, call_id, "CHANNEL(linkedid)")
    assert await _variable(ari, agent, "CHANNEL(linkedid)") == linked

    await ari.hangup(caller)
    record = await wait_for(lambda: _ended_record(engine, call_id), what="call record")
    assert record["status"] == "completed"
    assert record["hangup_by"] == "caller"
    assert record["caller_number"] == "13800138000"
    assert record["did"] == "8000"
    assert record["ivr_path"] == ["did:8000", "main:1"]
    assert record["queue"] == "technical"
    assert record["agent_id"] == runner.call.offer.agent_id
    assert (
        record["arrived_at"]
        <= record["queued_at"]
        <= record["agent_dialed_at"]
        <= record["agent_answered_at"]
        <= record["connected_at"]
        <= record["ended_at"]
    )

    await wait_for(lambda: _no_trace(ari, call_id), what="no channels or bridges left")


async def test_agent_hangup_hangs_up_caller_and_cleans_up(engine, ari):
    await ari.set_global("SIM_AGENT_TALK", "2")
    try:
        caller = await place_caller(ari, "8100", "13800138001")
        runner = await wait_for(lambda: connected_call(engine, caller), what="caller bridged")
        call_id = runner.call.call_id
        record = await wait_for(
            lambda: _ended_record(engine, call_id), timeout=20, what="call ended by agent"
        )
    finally:
        await ari.set_global("SIM_AGENT_TALK", "")
    assert record["hangup_by"] == "agent"
    assert record["status"] == "completed"
    await wait_for(lambda: _no_trace(ari, call_id), what="caller hung up too")
    assert caller not in await channel_ids(ari)


async def _pause_all(engine) -> list[str]:
    agents = [
        a["agent_id"] if "agent_id" in a else a["id"] for a in await engine.router.presence.list()
    ]
    for agent_id in agents:
        await engine.router.presence.pause(agent_id, "meeting")
    return agents


async def test_caller_hanging_up_in_queue_is_abandoned_and_leaves_nothing(engine, ari):
    agents = await _pause_all(engine)
    try:
        caller = await place_caller(ari, "8100", "13800138002")
        call_id = f"{caller};2"
        await wait_for(
            lambda: (
                engine.calls.runners.get(call_id) is not None
                and engine.calls.runners[call_id].call.status == "queued"
            ),
            what="caller waiting in queue",
        )
        await asyncio.sleep(0.5)
        await ari.hangup(caller)
        record = await wait_for(lambda: _ended_record(engine, call_id), what="record")
    finally:
        for agent_id in agents:
            await engine.router.presence.unpause(agent_id)
    assert record["status"] == "abandoned"
    await wait_for(lambda: _no_trace(ari, call_id), what="hold bridge destroyed")


async def test_busy_agent_sends_call_to_the_next_agent(engine, ari):
    await ari.set_global("SIM_AGENT_2001_MODE", "busy")
    try:
        caller = await place_caller(ari, "8200", "13800138009")
        runner = await wait_for(lambda: connected_call(engine, caller), what="caller bridged")
    finally:
        await ari.set_global("SIM_AGENT_2001_MODE", "")
    record = runner.call.record
    assert runner.call.offer.agent_id == "2002", "the second technical expert took it"
    assert record["agent_attempts"] == 2 and record["last_agent_failure"] == "busy"
    states = {a.get("agent_id", a.get("id")): a for a in await engine.router.presence.list()}
    assert states["2001"]["state"] == "paused", "a busy phone pauses its agent"
    await ari.hangup(caller)


async def test_event_socket_drop_mid_call_keeps_call_and_cleans_up_at_hangup(engine, ari):
    caller = await place_caller(ari, "8100", "13800138003")
    runner = await wait_for(lambda: connected_call(engine, caller), what="caller bridged")
    call_id = runner.call.call_id
    connects = engine.events.connects

    await engine.events.drop()
    await wait_for(
        lambda: engine.events.connects > connects and engine.events.connected.is_set(),
        what="event socket reconnected",
    )
    bridges = await bridges_by_id(ari)
    assert set(bridges[f"tenure-{call_id}"]) == {call_id, runner.call.agent_channel}
    assert engine.calls.runners[call_id].call.status == "connected"

    await ari.hangup(caller)
    record = await wait_for(lambda: _ended_record(engine, call_id), what="record after drop")
    assert record["status"] == "completed"
    await wait_for(lambda: _no_trace(ari, call_id), what="cleanup after reconnect")


async def test_hangup_during_event_socket_outage_is_noticed_on_reconnect(engine, ari):
    caller = await place_caller(ari, "8100", "13800138004")
    runner = await wait_for(lambda: connected_call(engine, caller), what="caller bridged")
    call_id, agent_channel = runner.call.call_id, runner.call.agent_channel

    engine.events.backoff_initial = 2.0  # a longer outage, so the hangup falls inside it
    await engine.events.drop()
    await ari.hangup(caller)  # the engine cannot hear this StasisEnd
    record = await wait_for(
        lambda: _ended_record(engine, call_id), timeout=20, what="call ended by resync"
    )
    assert record["hangup_by"] == "caller"
    await wait_for(lambda: _no_trace(ari, call_id), what="agent leg and bridge cleaned up")
    assert agent_channel not in await channel_ids(ari)


async def test_an_agent_dialled_while_the_engine_resyncs_is_not_taken_for_gone(
    engine, ari, monkeypatch
):
    """After each reconnect the engine holds its calls against Asterisk's channel list.
    The agent's phone, dialled while that list was on its way, is not in it: the call must
    reach that agent, not count the leg as ended and offer the call again."""
    agents = await _pause_all(engine)
    caller = await place_caller(ari, "8100", "13800138010")
    call_id = f"{caller};2"
    runner = await wait_for(lambda: engine.calls.runners.get(call_id), what="caller arrived")
    await wait_for(lambda: runner.call.status == "queued", what="caller waiting in queue")
    asked, release = reply_held(engine.calls.ari, monkeypatch)
    resync = asyncio.create_task(engine.calls.resync())
    await asyncio.wait_for(asked.wait(), 5)
    for agent_id in agents:
        await engine.router.presence.unpause(agent_id)
    leg = await wait_for(lambda: runner.call.agent_channel, what="an agent's phone dialled")
    release.set()
    await resync
    await wait_for(lambda: connected_call(engine, caller), what="caller bridged")
    assert runner.call.agent_channel == leg, "bridged to the phone dialled during the resync"
    assert runner.call.record["agent_attempts"] == 1
    assert "last_agent_failure" not in runner.call.record
    await ari.hangup(caller)
    await wait_for(lambda: _ended_record(engine, call_id), what="call record")


async def test_a_caller_arriving_while_the_engine_is_unreachable_is_asked_to_call_later(
    engine, ari
):
    """The event socket is down, so Asterisk has deactivated the engine's app: the
    dialplan tells the caller to call later instead of hanging up in silence."""
    connects = engine.events.connects
    engine.events.backoff_initial = 14.0  # 7-21 s down
    await engine.events.drop()
    caller = await place_caller(ari, "8100", "13800138009")

    async def asked_to_call_later():
        chan = next((c for c in await ari.channels() if c["id"] == f"{caller};2"), None)
        plan = (chan or {}).get("dialplan") or {}
        return (plan.get("context"), plan.get("app_name"), plan.get("app_data"))

    assert await wait_for(
        lambda: _match(asked_to_call_later(), ("inbound", "Playback")),
        timeout=10,
        what="the caller told to call later",
    ) == ("inbound", "Playback", "please-try-call-later")
    await wait_for(lambda: engine.events.connects > connects, timeout=30, what="reconnected")
    assert f"{caller};2" not in engine.calls.runners
    await wait_for(lambda: _gone(ari, caller), what="the call ended after the message")


async def _gone(ari, channel: str) -> bool:
    return channel not in await channel_ids(ari)


async def _match(result, prefix: tuple[str, ...]):
    got = await result
    return got if got[: len(prefix)] == prefix else None


async def test_restarted_engine_adopts_bridged_call(engine_factory, ari):
    first = await engine_factory()
    caller = await place_caller(ari, "8100", "13800138005")
    runner = await wait_for(lambda: connected_call(first, caller), what="caller bridged")
    call_id, agent_id = runner.call.call_id, runner.call.offer.agent_id
    await first.stop()

    second = await engine_factory()
    adopted = second.calls.runners.get(call_id)
    assert adopted is not None and adopted.call.status == "connected"
    assert adopted.call.offer.agent_id == agent_id
    await ari.hangup(caller)
    record = await wait_for(lambda: _ended_record(second, call_id), what="record")
    assert record["hangup_by"] == "caller"
    await wait_for(lambda: _no_trace(ari, call_id), what="cleanup by the new engine")


async def _ended_record(engine, call_id: str):
    record = await engine.records.get(call_id)
    return record if record and record.get("ended_at") else None


async def _no_trace(ari, call_id: str) -> bool:
    channels = await channel_ids(ari)
    bridges = await bridges_by_id(ari)
    return f"tenure-{call_id}" not in bridges and not any(
        c.startswith(call_id.split(";")[0]) for c in channels
    )
