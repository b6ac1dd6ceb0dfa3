"""Trunks, the PJSIP renderer and registration -> availability: pure, table-driven."""

from __future__ import annotations

import pytest

from engine.phones import pjsip, registration
from engine.phones import trunks as tr
from engine.phones.service import dial_string
from engine.skills import loader
from engine.skills.loader import SkillFileError

SCHEMA = loader.schema("trunks")


def build(text: str) -> tr.Trunks:
    return loader.parse_checked(text, "trunks.yaml", SCHEMA, tr.build)


IP = """\
trunks:
  carrier:
    host: 203.0.113.5
    match: [203.0.113.0/24, 198.51.100.7]
    dids: ["8000", "+18005550100"]
    caller_id: "8000"
"""
REGISTER = """\
trunks:
  other:
    host: sip.other.example
    port: 5080
    auth: register
    username: "4401234"
    password_env: TENURE_TRUNK_OTHER_PASSWORD
    prefix: "0"
    codecs: [alaw, g722]
    nat: {rewrite_contact: false}
"""


def test_an_ip_trunk_and_a_registering_trunk():
    [ip] = build(IP).trunks
    assert (ip.name, ip.host, ip.port, ip.auth, ip.registers) == (
        "carrier",
        "203.0.113.5",
        5060,
        "ip",
        False,
    )
    assert ip.sources == ("203.0.113.0/24", "198.51.100.7")
    assert ip.codecs == ("ulaw", "alaw") and ip.rtp_symmetric and ip.rewrite_contact
    [reg] = build(REGISTER).trunks
    assert reg.registers and reg.sources == ("sip.other.example",)
    assert (reg.codecs, reg.rewrite_contact, reg.force_rport) == (("alaw", "g722"), False, True)
    assert reg.dial_string() == "PJSIP/0{number}@other"
    assert build("# nothing yet\n") == tr.NONE
    assert build("trunks: {}\n") == tr.NONE


@pytest.mark.parametrize(
    "text, where, reason",
    [
        ("trunks:\n  c:\n    host: h\n    auth: register\n", ":4:", "needs username and password"),
        ("trunks:\n  c:\n    host: h\n    password_env: X_PW\n", ":4:", "needs a username"),
        ("trunks:\n  c:\n    host: h\n    dids: ['1', '1']\n", ":4:", "listed twice"),
        (
            "trunks:\n  a:\n    host: h\n    dids: ['1']\n  b:\n    host: h\n    dids: ['1']\n",
            ":7:",
            "DID 1 is also trunk a's",
        ),
        ("trunks:\n  c:\n    host: h\n    codecs: [g729]\n", ":4:", "is not one of"),
        ("trunks:\n  c:\n    hots: h\n", ":3:", "unknown key 'hots'"),
        ("trunks:\n  Bad Name:\n    host: h\n", ":2:", "does not match"),
        ("trunks:\n  c:\n    host: h\n    password_env: secret!\n", ":4:", "does not match"),
        ("trunks:\n  c:\n    host: 'h;x'\n", ":3:", "does not match"),
    ],
)
def test_bad_trunks_are_refused_at_their_line(text, where, reason):
    with pytest.raises(SkillFileError) as err:
        build(text)
    first = err.value.issues[0]
    assert first.startswith(f"trunks.yaml{where}") and reason in first, err.value.issues


def test_passwords_come_from_the_environment_only():
    trunks = build(REGISTER)
    assert tr.passwords(trunks, {"TENURE_TRUNK_OTHER_PASSWORD": "s3"}) == {"other": "s3"}
    with pytest.raises(tr.TrunkError, match="TENURE_TRUNK_OTHER_PASSWORD"):
        tr.passwords(trunks, {})
    with pytest.raises(tr.TrunkError, match="must not contain"):
        tr.passwords(trunks, {"TENURE_TRUNK_OTHER_PASSWORD": "a;b"})


def test_every_section_renders_into_its_own_file():
    files = pjsip.render(pjsip.PhoneSettings(), tr.NONE, {})
    assert set(files) == {
        "pjsip_transports.conf",
        "pjsip_agents.conf",
        "pjsip_trunks.conf",
        "pjsip_webrtc.conf",
        "pjsip_cluster.conf",
        "extensions_trunks.conf",
    }
    assert set(pjsip.TRUNK_FILES) <= set(files)


@pytest.mark.parametrize(
    "settings, present, absent",
    [
        (pjsip.PhoneSettings(), ["bind = 127.0.0.1:5060"], ["external_media_address"]),
        (
            pjsip.PhoneSettings(
                sip_host="0.0.0.0",
                sip_external_address="198.51.100.1",
                sip_local_net="10.0.0.0/8, 192.168.0.0/16",
            ),
            [
                "bind = 0.0.0.0:5060",
                "external_media_address = 198.51.100.1",
                "external_signaling_address = 198.51.100.1",
                "local_net = 10.0.0.0/8\nlocal_net = 192.168.0.0/16",
            ],
            [],
        ),
    ],
)
def test_transports_with_and_without_nat(settings, present, absent):
    text = pjsip.transports(settings)
    assert all(p in text for p in present) and not any(a in text for a in absent), text


@pytest.mark.parametrize(
    "codecs, allow",
    [
        ("g722,ulaw,alaw,opus", "allow = g722,ulaw,alaw,opus"),
        ("G722, ulaw, g722", "allow = g722,ulaw"),
        ("opus", "allow = opus"),
    ],
)
def test_agent_phones_get_their_codecs(codecs, allow):
    text = pjsip.agents(
        pjsip.PhoneSettings(
            sip_agents="1001-1002", sip_agent_password="pw", sip_agent_codecs=codecs
        )
    )
    assert text.count(allow + "\n") == 2 and text.count("password = pw") == 2


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("sip_agent_codecs", "g729", "sip_agent_codecs: g729"),
        ("sip_agent_codecs", " , ", "sip_agent_codecs: empty"),
        ("sip_agents", "10a", "sip_agents"),
        ("sip_agents", "1010-1001", "bad range"),
        ("sip_agents", "1-5000", "bad range"),
        ("sip_agent_password", "a;b", "must not contain"),
    ],
)
def test_bad_phone_settings_are_refused(field, value, message):
    base = {"sip_agent_password": "pw"}
    with pytest.raises(pjsip.PjsipConfigError, match=message):
        pjsip.agents(pjsip.PhoneSettings(**{**base, field: value}))


def test_an_ip_trunk_renders_nat_options_identify_and_its_dids():
    trunks = build(IP)
    text = pjsip.trunks(trunks, {})
    for line in (
        "[carrier]\ntype = endpoint\ncontext = from-trunk-carrier",
        "allow = ulaw,alaw",
        "direct_media = no",
        "rtp_symmetric = yes\nforce_rport = yes\nrewrite_contact = yes",
        "from_user = 8000",
        "type = aor\ncontact = sip:203.0.113.5:5060",
        "type = identify\nendpoint = carrier\nmatch = 203.0.113.0/24\nmatch = 198.51.100.7",
    ):
        assert line in text, line
    assert "type = registration" not in text and "outbound_auth" not in text
    plan = pjsip.trunk_dialplan(trunks)
    assert "[from-trunk-carrier]\nexten => 8000,1,Goto(inbound,8000,1)\n" in plan
    assert "exten => +18005550100,1,Goto(inbound,+18005550100,1)" in plan
    assert "exten => _X.,1,Hangup(1)" in plan  # every other number refused


def test_a_registering_trunk_renders_auth_and_registration():
    text = pjsip.trunks(build(REGISTER), {"other": "s3cret"})
    for line in (
        "outbound_auth = other-auth",
        "[other-auth]\ntype = auth\nauth_type = userpass\nusername = 4401234\npassword = s3cret",
        "type = registration",
        "server_uri = sip:sip.other.example:5080",
        "client_uri = sip:4401234@sip.other.example:5080",
        "rewrite_contact = no",
        "allow = alaw,g722",
    ):
        assert line in text, line
    plan = pjsip.trunk_dialplan(build(REGISTER))
    assert "exten => _X.,1,Goto(inbound,${EXTEN},1)" in plan  # no DIDs: any number


@pytest.mark.parametrize(
    "setting, dial",
    [
        ("Local/{number}@sim-customers", ("Local/{number}@sim-customers", "")),
        ("PJSIP/{number}@carrier", ("PJSIP/{number}@carrier", "")),
        ("carrier", ("PJSIP/{number}@carrier", "8000")),
    ],
)
def test_the_dialer_dials_through_a_named_trunk(setting, dial):
    assert dial_string(setting, build(IP)) == dial


def test_an_unknown_dialer_trunk_names_the_known_ones():
    with pytest.raises(tr.TrunkError, match=r"'nowhere' .*trunks: carrier"):
        dial_string("nowhere", build(IP))


@pytest.mark.parametrize(
    "event, told",
    [
        ({"Event": "DeviceStateChange", "Device": "PJSIP/1001", "State": "NOT_INUSE"}, True),
        ({"Event": "DeviceStateChange", "Device": "PJSIP/1001", "State": "INUSE"}, True),
        ({"Event": "DeviceStateChange", "Device": "PJSIP/1001", "State": "RINGING"}, True),
        ({"Event": "DeviceStateChange", "Device": "PJSIP/1001", "State": "UNAVAILABLE"}, False),
        ({"Event": "DeviceStateChange", "Device": "pjsip/1001", "State": "INVALID"}, False),
        ({"Event": "DeviceStateChange", "Device": "PJSIP/1001", "State": "UNKNOWN"}, False),
        ({"Event": "DeviceStateChange", "Device": "Local/1001@sim", "State": "x"}, None),
        ({"Event": "DeviceStateChange", "Device": "Queue:general", "State": "x"}, None),
        ({"Event": "ContactStatus", "AOR": "1001", "ContactStatus": "Created"}, True),
        ({"Event": "ContactStatus", "AOR": "1001", "ContactStatus": "Reachable"}, True),
        ({"Event": "ContactStatus", "AOR": "1001", "ContactStatus": "Removed"}, False),
        ({"Event": "ContactStatus", "AOR": "1001", "ContactStatus": "Unreachable"}, False),
        ({"Event": "ContactStatus", "AOR": "1001", "ContactStatus": "Unknown"}, None),
        ({"Event": "ContactStatus", "ContactStatus": "Created"}, None),
        ({"Event": "Newchannel"}, None),
    ],
)
def test_registration_from_device_state_and_contact_status(event, told):
    got = registration.registered_from(event)
    if told is None:
        assert got is None
    else:
        assert got == ("PJSIP/1001", told)


@pytest.mark.parametrize(
    "endpoint, device",
    [
        ("PJSIP/1001", "PJSIP/1001"),
        ("pjsip/1001", "PJSIP/1001"),
        ("PJSIP/5551234@carrier", "PJSIP/5551234"),
        ("SIP/2001", "SIP/2001"),
        ("Local/1001@sim-agents", None),
        ("PJSIP/", None),
        ("1001", None),
    ],
)
def test_which_endpoints_have_a_device(endpoint, device):
    assert registration.device_of(endpoint) == device


@pytest.mark.parametrize(
    "state, registered, offered",
    [
        ("available", True, True),
        ("available", False, False),
        ("paused", True, False),
        ("ringing", True, False),
        ("logged_out", False, False),
    ],
)
def test_only_an_available_agent_with_a_registered_phone_is_offered(state, registered, offered):
    assert registration.offerable(state, registered) is offered
