"""Asterisk configuration rendering, simulated parties and the sandbox's own checks."""

from __future__ import annotations

import re
import socket

import pytest

from engine.sandbox import config
from engine.sandbox.asterisk import Sandbox
from engine.sandbox.rootfs import SandboxError
from engine.settings import load
from engine.sim import parties


def settings(**kw):
    base = {"ari_password": "ari-s3cret", "ami_secret": "ami-s3cret", "api_token": "t"}
    return load(None, environ={}, **{**base, **kw})


def test_credentials_and_ports_come_from_settings():
    files = config.render(
        settings(ari_url="http://127.0.0.1:18123/ari", ami_port=15999, ari_app="myapp")
    )
    assert "password = ari-s3cret" in files["ari.conf"]
    assert "secret = ami-s3cret" in files["manager.conf"]
    assert "bindport = 18123" in files["http.conf"]
    assert "port = 15999" in files["manager.conf"]
    assert "Stasis(myapp,inbound,${EXTEN})" in files["extensions.conf"]


def test_channel_ids_are_prefixed_by_the_engine_instance():
    """Engines sharing one store key call records by channel id: Asterisk's systemname
    (the instance id, else the host name) keeps two boxes' ids apart."""
    conf = config.render(settings(instance_id="box a.1"))["asterisk.conf"]
    assert "systemname = box-a-1" in conf
    host = config.render(settings())["asterisk.conf"]
    assert f"systemname = {re.sub(r'[^A-Za-z0-9_-]', '-', socket.gethostname())[:40]}" in host


def test_agent_phones_get_the_password_from_settings_or_none_at_all():
    files = config.render(settings(sip_agents="1001-1003,2001", sip_agent_password="pw-9"))
    agents = files["pjsip_agents.conf"]
    assert re.findall(r"^\[(\d+)\]\(agent-endpoint\)", agents, re.M) == [
        "1001",
        "1002",
        "1003",
        "2001",
    ]
    assert agents.count("password = pw-9") == 4
    assert "password =" not in config.render(settings())["pjsip_agents.conf"]
    assert "#include pjsip_agents.conf" in files["pjsip.conf"]


@pytest.mark.parametrize("spec", ["10a", "1010-1001", "1-5000", "1001-10x"])
def test_bad_agent_number_lists_are_refused(spec):
    with pytest.raises(config.ConfigError, match="sip_agents"):
        config.agent_numbers(spec)


def test_sip_and_rtp_come_from_settings():
    files = config.render(
        settings(sip_host="0.0.0.0", sip_port=5070, rtp_start=21000, rtp_end=21100)
    )
    assert "bind = 0.0.0.0:5070" in files["pjsip.conf"]
    assert "rtpstart = 21000" in files["rtp.conf"] and "rtpend = 21100" in files["rtp.conf"]


def test_no_secret_ships_in_the_templates():
    for path in config.CONFIG_DIR.glob("*.conf"):
        text = path.read_text()
        for line in text.splitlines():
            if re.match(r"\s*(password|secret)\s*=", line):
                assert "${" in line, f"{path.name}: a literal secret: {line}"


def test_rendering_refuses_missing_secrets():
    with pytest.raises(config.ConfigError, match="ari_password"):
        config.render(load(None, environ={}, ami_secret="x"))


def test_digest_changes_with_credentials():
    a = config.digest(config.render(settings()))
    b = config.digest(config.render(settings(ari_password="other")))
    assert a != b and a == config.digest(config.render(settings()))


def test_modules_are_loaded_explicitly():
    text = (config.CONFIG_DIR / "modules.conf").read_text()
    assert "autoload = no" in text
    for needed in (
        "res_ari.so",
        "app_stasis.so",
        "chan_pjsip.so",
        "chan_rtp.so",
        "app_amd.so",
        "res_audiosocket.so",
        "res_stasis_snoop.so",
    ):
        assert f"load = {needed}" in text


def test_a_taken_port_is_reported_with_its_number(tmp_path):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with socket.socket() as probe:  # a free ARI port, so AMI is what collides
            probe.bind(("127.0.0.1", 0))
            free = probe.getsockname()[1]
        box = Sandbox(
            settings(
                ami_port=port, ari_url=f"http://127.0.0.1:{free}/ari", sandbox_dir=str(tmp_path)
            )
        )
        with pytest.raises(SandboxError, match=f"AMI port 127.0.0.1:{port} is already taken"):
            box._check_ports()


def test_simulated_caller_parameters():
    p = parties.caller(
        "8000", "13800138000", wav=["tenure/a", "tenure/b"], dtmf="12", dtmf_delay=2, hold=5
    )
    assert p["endpoint"] == "Local/8000@sim-dial-in/n"
    assert p["context"] == "sim-caller" and p["callerId"] == "13800138000"
    assert p["variables"] == {
        "SIM_CALLER_ID": "13800138000",
        "SIM_WAV": "tenure/a&tenure/b",
        "SIM_WAV_DELAY": "0.5",
        "SIM_DTMF": "12",
        "SIM_DTMF_DELAY": "2",
        "SIM_HOLD": "5",
    }


def test_agent_modes():
    assert parties.agent_globals("1001", "busy") == {"SIM_AGENT_1001_MODE": "busy"}
    assert parties.agent_globals("1001", delay=3) == {
        "SIM_AGENT_1001_MODE": "",
        "SIM_AGENT_1001_DELAY": "3",
    }
    with pytest.raises(ValueError):
        parties.agent_globals("1001", "sleep")
