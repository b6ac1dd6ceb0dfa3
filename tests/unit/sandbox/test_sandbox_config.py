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
        config.render(settings(sip_agents=spec, sip_agent_password="pw"))


def test_sip_and_rtp_come_from_settings():
    files = config.render(
        settings(sip_host="0.0.0.0", sip_port=5070, rtp_start=21000, rtp_end=21100)
    )
    assert "bind = 0.0.0.0:5070" in files["pjsip_transports.conf"]
    assert "#include pjsip_transports.conf" in files["pjsip.conf"]
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
    tone = parties.caller("8000", "1", tone="450", record="r1")["variables"]
    assert tone["SIM_TONE"] == "450" and tone["SIM_RECORD"] == "r1"


def test_agent_modes():
    assert parties.agent_globals("1001", "busy") == {"SIM_AGENT_1001_MODE": "busy"}
    assert parties.agent_globals("1001", delay=3) == {
        "SIM_AGENT_1001_MODE": "",
        "SIM_AGENT_1001_DELAY": "3",
    }
    with pytest.raises(ValueError):
        parties.agent_globals("1001", "sleep")


def test_trunk_edits_are_written_without_a_restart_and_the_chroot_knows_its_name(tmp_path):
    skills = tmp_path / "skills"
    skills.mkdir()
    (skills / "trunks.yaml").write_text("trunks:\n  c:\n    host: 127.0.0.9\n    dids: ['8000']\n")
    box = Sandbox(settings(sandbox_dir=str(tmp_path / "sbx"), skills_dir=str(skills)))
    etc = box.root / "etc" / "asterisk"
    etc.mkdir(parents=True)
    restart_digest = config.digest(
        {k: v for k, v in config.render(box.settings).items() if not k.endswith("trunks.conf")}
    )
    assert box.apply_trunks() is True  # nothing running: written, no reload
    assert "match = 127.0.0.9" in (etc / "pjsip_trunks.conf").read_text()
    assert "exten => 8000,1,Goto(inbound,8000,1)" in (etc / "extensions_trunks.conf").read_text()
    assert box.apply_trunks() is False
    (skills / "trunks.yaml").write_text("trunks:\n  c:\n    host: 127.0.0.8\n")
    assert box.apply_trunks() is True
    after = config.digest(
        {k: v for k, v in config.render(box.settings).items() if not k.endswith("trunks.conf")}
    )
    assert after == restart_digest  # a trunk edit never restarts Asterisk
    box._hosts()
    assert socket.gethostname() in (box.root / "etc" / "hosts").read_text().split()


def test_a_broken_trunks_file_stops_rendering_with_its_line(tmp_path):
    (tmp_path / "trunks.yaml").write_text("trunks:\n  c:\n    host: h\n    auth: nope\n")
    with pytest.raises(config.ConfigError, match=r"trunks.yaml:4:\d+: .*is not one of"):
        config.render(settings(skills_dir=str(tmp_path)))


def test_each_other_box_gets_a_trunk_named_after_its_engine():
    files = config.render(
        settings(instance_id="box-a", cluster_peers="box-a=10.0.0.1:5060, box-b=10.0.0.2:5062")
    )
    trunks = files["pjsip_cluster.conf"]
    assert re.findall(r"^\[([a-z-]+)\]\((cluster-[a-z]+)\)", trunks, re.M) == [
        ("box-b", "cluster-endpoint"),
        ("box-b", "cluster-aor"),
        ("box-b", "cluster-identify"),
    ]
    assert "contact = sip:10.0.0.2:5062" in trunks and "match = 10.0.0.2" in trunks
    assert "#include pjsip_cluster.conf" in files["pjsip.conf"]
    assert "[from-cluster]" in files["extensions.conf"]
    assert "[box" not in config.render(settings())["pjsip_cluster.conf"]


@pytest.mark.parametrize("peers", ["box-b", "box-b=10.0.0.2", "=10.0.0.2:5060", "b=h:x"])
def test_a_bad_peer_list_is_refused_saying_what_is_expected(peers):
    with pytest.raises(config.ConfigError, match="instance_id=host:port"):
        config.render(settings(cluster_peers=peers))
