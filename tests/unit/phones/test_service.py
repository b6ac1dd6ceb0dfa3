"""A trunk edit reaches Asterisk: files written in place, one PJSIP and dialplan reload
per change, the dialer's dial string and caller ID, refusals kept visible."""

from __future__ import annotations

import pytest

from engine.phones import trunks as tr
from engine.phones.service import PhoneConfig
from engine.settings import load
from engine.skills import loader

CARRIER = "trunks:\n  carrier:\n    host: 127.0.0.9\n    caller_id: '8000'\n    dids: ['8000']\n"
REGISTER = (
    "trunks:\n  carrier:\n    host: h\n    auth: register\n    username: u\n"
    "    password_env: TENURE_PW\n"
)


def trunks(text: str) -> tr.Trunks:
    return loader.parse_checked(text, "trunks.yaml", loader.schema("trunks"), tr.build)


def make(tmp_path, environ=None, reply=None, **kw):
    actions: list[dict[str, str]] = []
    dials: list[tuple[str, str]] = []

    async def action(a: dict[str, str]):
        actions.append(a)
        return reply or {"Response": "Success"}

    settings = load(
        None,
        environ={},
        ari_password="a",
        ami_secret="b",
        api_token="c",
        asterisk_config_dir=str(tmp_path),
        **kw,
    )
    config = PhoneConfig(
        settings, action, lambda d, c: dials.append((d, c)), lambda: dict(environ or {})
    )
    return config, actions, dials


async def test_an_edit_is_written_and_reloaded_once(tmp_path):
    config, actions, dials = make(tmp_path, dialer_trunk="carrier")
    await config.use_trunks(trunks(CARRIER))
    assert "match = 127.0.0.9" in (tmp_path / "pjsip_trunks.conf").read_text()
    assert "exten => 8000," in (tmp_path / "extensions_trunks.conf").read_text()
    assert [a["Module"] for a in actions] == ["res_pjsip.so", "pbx_config.so"]
    assert dials == [("PJSIP/{number}@carrier", "8000")]
    await config.use_trunks(trunks(CARRIER))  # unchanged: no reload
    assert len(actions) == 2 and config.applied == 1
    with pytest.raises(tr.TrunkError, match="'carrier' is not a trunk"):
        await config.use_trunks(tr.NONE)  # the dialer's trunk removed: refused


async def test_a_missing_password_or_a_refused_reload_is_an_error(tmp_path):
    config, actions, _ = make(tmp_path)
    with pytest.raises(tr.TrunkError, match="TENURE_PW"):
        await config.use_trunks(trunks(REGISTER))
    assert actions == [] and not (tmp_path / "pjsip_trunks.conf").exists()
    config, actions, _ = make(
        tmp_path, environ={"TENURE_PW": "s3"}, reply={"Response": "Error", "Message": "denied"}
    )
    with pytest.raises(RuntimeError, match=r"refused to reload res_pjsip\.so: denied"):
        await config.use_trunks(trunks(REGISTER))
    assert "password = s3" in (tmp_path / "pjsip_trunks.conf").read_text()
