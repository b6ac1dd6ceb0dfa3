"""The sandbox command's behaviour on the real chroot Asterisk."""

from __future__ import annotations

import pytest

from tests.integration.helpers import place_caller, wait_for

pytestmark = pytest.mark.integration


def test_up_is_idempotent_and_status_reports_both_interfaces(sandbox):
    assert sandbox.up() == "already up"
    status = sandbox.status()
    assert status["running"] and status["ari"] and status["ami"]
    assert "Asterisk" in sandbox.cli("core show version")


async def test_simulated_customers_busy_and_no_answer(ari, sandbox):
    """Outbound customers chosen by the first digit: 3... busy, 2... no answer."""
    busy = await ari.originate("Local/3001@sim-customers", app="engine-test", timeout=5)
    await wait_for(lambda: _gone(ari, busy["id"]), what="busy customer hung up")
    ringing = await ari.originate("Local/2001@sim-customers", app="engine-test", timeout=2)
    await wait_for(lambda: _gone(ari, ringing["id"]), timeout=10, what="no-answer timeout")


async def test_simulated_caller_keys_reach_stasis(ari, engine):
    caller = await place_caller(ari, "8000", "13900000001", dtmf="0", dtmf_delay=1.0)
    call_id = f"{caller};2"
    runner = await wait_for(lambda: engine.calls.runners.get(call_id), what="call arrived")
    assert runner.call.caller_number == "13900000001"
    await wait_for(lambda: "main:0" in (runner.call.record.get("ivr_path") or []),
                   what="the key 0 reached the IVR")


async def _gone(ari, channel_id: str) -> bool:
    return channel_id not in {c["id"] for c in await ari.channels()}
