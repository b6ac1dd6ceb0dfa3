"""Simulated parties: originate parameters and globals, and that the dialplan and the
sounds they name exist."""

from __future__ import annotations

import re
import wave

import pytest

from engine.sandbox import config
from engine.sim import parties

DIALPLAN = config.DIALPLAN.read_text()


def _context(name: str) -> str:
    return DIALPLAN.split(f"[{name}]\n", 1)[1].split("\n[", 1)[0]


def test_every_variable_the_helpers_set_is_read_by_the_dialplan():
    names = set(parties.caller("1", "2", wav="w", dtmf="1", hold=1)["variables"])
    names |= set(parties.customer_globals()) | set(parties.agent_defaults())
    for name in names:
        assert name in DIALPLAN, f"{name} is set by engine/sim/parties.py but never read"
    assert "SIM_AGENT_${EXTEN}_MODE" in DIALPLAN and "SIM_AGENT_${EXTEN}_DELAY" in DIALPLAN


@pytest.mark.parametrize(
    "context",
    [
        "inbound",
        "from-trunk",
        "sim-dial-in",
        "sim-caller",
        "sim-agents",
        "sim-customers",
        "outbound-amd",
    ],
)
def test_the_contexts_exist(context):
    assert _context(context).strip()


def test_customer_numbers_match_the_dialplan_patterns():
    customers = _context("sim-customers")
    for kind in parties.CUSTOMER_KINDS:
        number = parties.customer_number(kind)
        assert f"exten => _{number[0]}.," in customers
    with pytest.raises(ValueError):
        parties.customer_number("robot")


def test_a_caller_can_keep_the_codec_ari_picks():
    assert "formats" not in parties.caller("8000", "13800138000", formats="")
    assert parties.caller("8000", "13800138000", formats="alaw")["formats"] == "alaw"


def test_caller_parameters_without_options():
    p = parties.caller("8000", "13800138000")
    assert p == {
        "endpoint": "Local/8000@sim-dial-in/n",
        "context": "sim-caller",
        "extension": "s",
        "priority": 1,
        "callerId": "13800138000",
        "formats": "ulaw",  # a caller from the telephone network, not a 192 kHz Local
        "variables": {"SIM_CALLER_ID": "13800138000"},
    }


def test_outbound_amd_and_customer_globals():
    p = parties.outbound_amd(parties.customer_endpoint("4001"))
    assert p == {
        "endpoint": "Local/4001@sim-customers",
        "context": "outbound-amd",
        "extension": "s",
        "priority": 1,
    }
    assert parties.customer_globals(ring=0.5, talk=10) == {
        "SIM_RING": "0.5",
        "SIM_TALK": "10",
        "SIM_NOANSWER_RING": "",
        "SIM_MACHINE_WAIT": "",
    }
    assert parties.agent_defaults(talk=5) == {"SIM_AGENT_DELAY": "", "SIM_AGENT_TALK": "5"}
    assert parties.agent_endpoint("1001") == "Local/1001@sim-agents"


def test_every_sound_the_dialplan_plays_ships_small_and_in_8khz_mono():
    played = set(re.findall(r"tenure/([a-z0-9-]+)", DIALPLAN))
    shipped = {p.stem for p in config.SOUNDS_DIR.glob("*.wav")}
    assert played <= shipped
    for path in config.SOUNDS_DIR.glob("*.wav"):
        assert path.stat().st_size < 100_000, path.name
        with wave.open(str(path)) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
    with wave.open(str(config.SOUNDS_DIR / "machine-greeting.wav")) as w:
        assert w.getnframes() / 8000 > 5.0  # long enough for AMD to hear a machine
