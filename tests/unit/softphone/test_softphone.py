"""The softphone's pure parts: credentials derived from one secret, the rendered
``pjsip_webrtc.conf``, and what the desk and the sandbox configuration get from them."""

from __future__ import annotations

import re
import subprocess

import pytest

from engine.sandbox import config
from engine.settings import load
from engine.softphone import certs, credentials, render


def settings(**kw):
    base = {"ari_password": "ari-s3cret", "ami_secret": "ami-s3cret", "api_token": "t"}
    return load(None, environ={}, **{**base, **kw})


def test_passwords_are_derived_per_user_and_secret():
    a = credentials.password("s3cret", "1001-webrtc")
    assert re.fullmatch(r"[0-9a-f]{32}", a)
    assert a == credentials.password("s3cret", "1001-webrtc")  # stable: config and engine agree
    assert a != credentials.password("s3cret", "1002-webrtc")
    assert a != credentials.password("other", "1001-webrtc")
    with pytest.raises(ValueError, match="softphone_secret"):
        credentials.password("", "1001-webrtc")


@pytest.mark.parametrize(
    ("endpoint", "user"),
    [
        ("PJSIP/1001-webrtc", "1001-webrtc"),
        (" PJSIP/2001-webrtc ", "2001-webrtc"),
        ("PJSIP/1001", None),  # a desk phone
        ("Local/1001@sim-agents", None),
        ("PJSIP/1001-webrtc@trunk", None),
        ("PJSIP/-webrtc", None),
        ("SIP/1001-webrtc", None),
    ],
)
def test_which_endpoints_are_softphones(endpoint, user):
    assert credentials.softphone_user(endpoint) == user


@pytest.mark.parametrize(
    ("configured", "host", "port", "url"),
    [
        ("", "127.0.0.1", 18188, "ws://127.0.0.1:18188/ws"),
        ("", "0.0.0.0", 8088, "ws://127.0.0.1:8088/ws"),
        ("wss://pbx.example.com:8089/ws", "127.0.0.1", 8088, "wss://pbx.example.com:8089/ws"),
    ],
)
def test_the_websocket_url(configured, host, port, url):
    assert credentials.ws_url(configured, host, port) == url


def test_credentials_for_an_agent_endpoint():
    c = credentials.for_endpoint("PJSIP/1001-webrtc", "k", "ws://127.0.0.1:8088/ws", "127.0.0.1")
    assert c is not None
    assert c.as_dict() == {
        "ws_url": "ws://127.0.0.1:8088/ws",
        "uri": "sip:1001-webrtc@127.0.0.1",
        "username": "1001-webrtc",
        "password": credentials.password("k", "1001-webrtc"),
    }
    assert credentials.for_endpoint("PJSIP/1001", "k", "ws://x/ws", "x") is None
    assert credentials.for_endpoint("PJSIP/1001-webrtc", "", "ws://x/ws", "x") is None


def test_rendered_endpoints_carry_the_derived_passwords():
    text = render.pjsip_webrtc(["1001", "2001"], "k", "127.0.0.1")
    assert re.findall(r"^\[([\w-]+)\]\(webrtc-endpoint\)", text, re.M) == [
        "1001-webrtc",
        "2001-webrtc",
    ]
    for user in ("1001-webrtc", "2001-webrtc"):
        assert f"username = {user}\npassword = {credentials.password('k', user)}\n" in text
    assert "protocol = ws" in text and "webrtc = yes" in text
    assert f"dtls_cert_file = {render.CERT_FILE}" in text
    assert "media_address = 127.0.0.1\nbind_rtp_to_media_address = yes" in text


def test_media_on_every_interface_when_sip_listens_on_all():
    assert "media_address" not in render.pjsip_webrtc(["1001"], "k", "0.0.0.0")


def test_no_secret_no_softphones():
    text = render.pjsip_webrtc(["1001"], "")
    assert "webrtc-endpoint" not in text and "password" not in text


def test_the_sandbox_configuration_includes_the_softphones():
    files = config.render(settings(sip_agents="1001-1002", softphone_secret="k"))
    assert "#include pjsip_webrtc.conf" in files["pjsip.conf"]
    assert "[1002-webrtc](webrtc-endpoint)" in files["pjsip_webrtc.conf"]
    assert "media_address = 127.0.0.1" in files["pjsip_webrtc.conf"]  # sip_host default
    modules = files["modules.conf"]
    for needed in ("res_pjsip_transport_websocket.so", "res_srtp.so", "res_http_websocket.so"):
        assert f"load = {needed}" in modules
    other = config.render(settings(sip_agents="1001-1002", softphone_secret="k2"))
    assert config.digest(files) != config.digest(other)


def test_the_dtls_certificate_is_made_once(tmp_path):
    assert certs.ensure(tmp_path) is True
    crt, key = tmp_path / "keys" / "tenure-dtls.crt", tmp_path / "keys" / "tenure-dtls.key"
    before = crt.read_bytes()
    assert certs.ensure(tmp_path) is False and crt.read_bytes() == before
    out = subprocess.run(
        ["openssl", "x509", "-in", str(crt), "-noout", "-subject"], capture_output=True, text=True
    )
    assert "tenure-softphone" in out.stdout
    assert key.stat().st_mode & 0o077 == 0o040


@pytest.mark.parametrize(("lang", "words"), [("en", ("Phone", "Answer")), ("zh", ("话机", "接听"))])
def test_the_desk_has_a_phone_panel_in_the_users_language(lang, words):
    from engine.users.policy import Principal
    from engine.web import pages

    page = pages.desk_page(Principal("user", "ana", "agent", "1001", lang, 1, "s"), "1001")
    assert '<section id="phone" class="card" hidden>' in page  # shown once it has a phone
    assert all(w in page for w in words)
    assert '<script src="/static/softphone.js" defer>' in page
    assert "jssip" not in page  # loaded only for an agent whose phone is the browser
