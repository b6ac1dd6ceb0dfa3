"""The sandbox Asterisk and its simulated parties, checked on the real chroot Asterisk
through ARI alone (no engine): what tests and the demo rely on."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from engine.ari.event_stream import AriEventStream
from engine.sim import parties
from tests.integration.helpers import place_caller, sim_globals, wait_for

pytestmark = pytest.mark.integration
TEST_APP = "sandbox-test"
_ids = itertools.count(1)


def _id(kind: str) -> str:
    return f"sbx-{kind}-{int(time.time())}-{next(_ids)}"


@contextlib.asynccontextmanager
async def events_of(settings, app: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
    """The ARI events of Stasis app ``app`` while the block runs."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    stream = AriEventStream(
        settings.ari_url, settings.ari_user, settings.ari_password, app, queue.put_nowait
    )
    task = asyncio.create_task(stream.run())
    try:
        await asyncio.wait_for(stream.connected.wait(), 10)
        yield queue
    finally:
        await stream.stop()
        await asyncio.wait_for(task, 10)


async def next_event(
    queue: asyncio.Queue[dict[str, Any]],
    kind: str,
    channel: str | None = None,
    timeout: float = 10.0,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {kind} event for {channel or 'any channel'} in {timeout}s")
        try:
            event = await asyncio.wait_for(queue.get(), left)
        except TimeoutError:
            continue
        if event["type"] == kind and channel in (
            None,
            event.get("channel", {}).get("id"),
            event.get("peer", {}).get("id"),
        ):
            return event


def test_up_is_idempotent_and_status_reports_both_interfaces(sandbox):
    assert sandbox.up() == "already up"
    status = sandbox.status()
    assert status["running"] and status["ari"] and status["ami"] and status["rootfs_current"]
    assert status["asterisk"].split(":")[-1].startswith("22.")
    assert "Asterisk" in sandbox.cli("core show version")
    assert sandbox.sounds_dir.joinpath("zh-jishu-zhichi.wav").exists()


async def test_caller_id_and_keys_reach_the_engines_channel(ari, engine_settings):
    """The engine's half (;2) enters Stasis with the DID and the caller's number, and
    the keys sent on the caller's half arrive as ChannelDtmfReceived."""
    async with events_of(engine_settings, engine_settings.ari_app) as events:
        params = parties.caller(
            "8000", "13800138000", wav="tenure/en-hello", wav_delay=0.1, dtmf="12#", dtmf_delay=0.3
        )
        caller_id = _id("caller")
        await ari.originate(params.pop("endpoint"), channelId=caller_id, **params)
        start = await next_event(events, "StasisStart", f"{caller_id};2")
        assert start["args"] == ["inbound", "8000"]
        assert start["channel"]["caller"]["number"] == "13800138000"
        await ari.answer(f"{caller_id};2")
        digits = [
            (await next_event(events, "ChannelDtmfReceived", f"{caller_id};2"))["digit"]
            for _ in range(3)
        ]
        assert digits == ["1", "2", "#"]


async def test_caller_id_from_the_channel_variable_alone(ari, engine_settings):
    async with events_of(engine_settings, engine_settings.ari_app) as events:
        params = parties.caller("8001", "13700000007", hold=2)
        del params["callerId"]
        caller_id = _id("caller")
        await ari.originate(params.pop("endpoint"), channelId=caller_id, **params)
        start = await next_event(events, "StasisStart", f"{caller_id};2")
        assert start["channel"]["caller"]["number"] == "13700000007"


@pytest.mark.parametrize(
    ("mode", "status"), [("answer", "ANSWER"), ("busy", "BUSY"), ("noanswer", None)]
)
async def test_agent_phone_modes(ari, engine_settings, mode, status):
    number = "1009"
    with_delay = parties.agent_globals(number, mode, delay=0.2)
    async with sim_globals(ari, with_delay), events_of(engine_settings, TEST_APP) as events:
        leg = _id("agent")
        await ari.originate(parties.agent_endpoint(number), app=TEST_APP, channelId=leg, timeout=2)
        if status is None:
            gone = await next_event(events, "ChannelDestroyed", leg, timeout=6)
            assert gone["cause"] == 19  # no answer: the originate timed out
        else:
            seen = []
            while not seen or seen[-1] in ("", "RINGING", "PROGRESS"):
                seen.append((await next_event(events, "Dial", leg))["dialstatus"])
            assert seen[-1] == status


async def test_answering_machine_detection_tells_a_human_from_a_machine(ari, engine_settings):
    async with (
        sim_globals(ari, parties.customer_globals(ring=0.5, talk=5)),
        events_of(engine_settings, engine_settings.ari_app) as events,
    ):
        legs = {}
        for kind in ("human", "machine"):
            legs[kind] = _id(kind)
            params = parties.outbound_amd(parties.customer_endpoint(parties.customer_number(kind)))
            await ari.originate(params.pop("endpoint"), channelId=legs[kind], timeout=10, **params)
        verdicts: dict[str, list[str]] = {}
        while len(verdicts) < len(legs):
            start = await next_event(events, "StasisStart", timeout=15)
            verdicts[start["channel"]["id"]] = start["args"]
        assert verdicts[legs["human"]][:2] == ["outbound", "HUMAN"], verdicts
        assert verdicts[legs["machine"]][:2] == ["outbound", "MACHINE"], verdicts


async def test_simulated_customers_busy_congestion_and_no_answer(ari, engine_settings):
    """Outbound customers chosen by the first digit: 3... busy, 5... congestion,
    2... no answer."""
    async with events_of(engine_settings, TEST_APP) as events:
        for kind, expected in (("busy", "BUSY"), ("congestion", "CONGESTION")):
            leg = _id(kind)
            await ari.originate(
                parties.customer_endpoint(parties.customer_number(kind)),
                app=TEST_APP,
                channelId=leg,
                timeout=5,
            )
            seen = [""]
            while seen[-1] in ("", "RINGING", "PROGRESS"):
                seen.append((await next_event(events, "Dial", leg))["dialstatus"])
            assert seen[-1] == expected
        leg = _id("noanswer")
        await ari.originate(
            parties.customer_endpoint(parties.customer_number("noanswer")),
            app=TEST_APP,
            channelId=leg,
            timeout=2,
        )
        gone = await next_event(events, "ChannelDestroyed", leg, timeout=6)
        assert gone["cause"] == 19


async def test_simulated_caller_keys_reach_stasis(ari, engine):
    caller = await place_caller(ari, "8000", "13900000001", dtmf="0", dtmf_delay=1.0)
    call_id = f"{caller};2"
    runner = await wait_for(lambda: engine.calls.runners.get(call_id), what="call arrived")
    assert runner.call.caller_number == "13900000001"
    await wait_for(
        lambda: "main:0" in (runner.call.record.get("ivr_path") or []),
        what="the key 0 reached the IVR",
    )
