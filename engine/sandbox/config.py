"""Render the engine's Asterisk configuration from settings. Pure: text in, text out.

``asterisk-config/*.conf`` are ``string.Template`` files (``${ari_password}``...);
``dialplan/extensions.conf`` keeps Asterisk's own ``${...}`` and only has ``${ARI_APP}``
replaced. The PJSIP sections (transports, agent phones, trunks of
``skills/trunks.yaml`` and their dialplan) come from ``engine.phones.pjsip``, the one
renderer the sandbox, the Docker entrypoint and the engine's trunk reload share.
Credentials come from settings (trunk passwords from the environment variables
trunks.yaml names); there are no defaults for them.
``pjsip_webrtc.conf`` (the browser softphones, ``engine/softphone/render.py``) is one
of those sections, derived from ``sip_agents`` and ``softphone_secret``.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from collections.abc import Mapping
from pathlib import Path
from string import Template

from engine.phones import pjsip
from engine.phones import trunks as trunks_mod
from engine.settings import Settings
from engine.skills import loader

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / "asterisk-config"
DIALPLAN = REPO / "dialplan" / "extensions.conf"
SOUNDS_DIR = REPO / "dialplan" / "sounds"
INSTALL_SCRIPT = REPO / "docker" / "install-asterisk.sh"
TRUNKS_FILE = "trunks.yaml"


class ConfigError(ValueError):
    pass


def values(settings: Settings) -> dict[str, str]:
    missing = [n for n in ("ari_password", "ami_secret") if not getattr(settings, n)]
    if missing:
        raise ConfigError(f"missing required setting(s) for Asterisk: {', '.join(missing)}")
    return {
        "ari_host": settings.ari_host,
        "ari_port": str(settings.ari_port),
        "ari_user": settings.ari_user,
        "ari_password": settings.ari_password,
        "ami_host": settings.ami_host,
        "ami_port": str(settings.ami_port),
        "ami_user": settings.ami_user,
        "ami_secret": settings.ami_secret,
        "sip_bind": settings.sip_host,
        "sip_port": str(settings.sip_port),
        "rtp_start": str(settings.rtp_start),
        "rtp_end": str(settings.rtp_end),
        "system_name": system_name(settings),
    }


def read_trunks(skills_dir: str | Path) -> trunks_mod.Trunks:
    """The trunks of ``skills_dir/trunks.yaml`` (none when absent); ``SkillFileError``
    with ``file:line:column`` when it is invalid."""
    path = Path(skills_dir) / TRUNKS_FILE
    if not path.exists():
        return trunks_mod.NONE
    return loader.load_checked(path, loader.schema("trunks"), trunks_mod.build)


def system_name(settings: Settings) -> str:
    """Asterisk's ``systemname``: the prefix of every channel id it makes, so the call
    records of engines sharing one store never collide (the engine's instance id, else
    the host name; letters, digits, ``-`` and ``_`` only)."""
    raw = settings.instance_id or socket.gethostname()
    return re.sub(r"[^A-Za-z0-9_-]", "-", raw)[:40] or "tenure"


def phone_files(
    settings: Settings, trunks: trunks_mod.Trunks, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The PJSIP sections and the trunks' dialplan (``engine.phones.pjsip``)."""
    try:
        secrets = trunks_mod.passwords(trunks, os.environ if environ is None else environ)
        return pjsip.render(pjsip.from_settings(settings), trunks, secrets)
    except (pjsip.PjsipConfigError, trunks_mod.TrunkError) as exc:
        raise ConfigError(str(exc)) from None


def render(
    settings: Settings,
    config_dir: Path = CONFIG_DIR,
    dialplan: Path = DIALPLAN,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """File name -> rendered text for /etc/asterisk."""
    mapping = values(settings)
    try:
        trunks = read_trunks(settings.skills_dir)
    except loader.SkillFileError as exc:
        raise ConfigError(str(exc)) from None
    files: dict[str, str] = {}
    for path in sorted(config_dir.glob("*.conf")):
        try:
            files[path.name] = Template(path.read_text()).substitute(mapping)
        except (KeyError, ValueError) as exc:
            raise ConfigError(f"{path}: bad placeholder {exc}") from None
    files.update(phone_files(settings, trunks, environ))
    files["extensions.conf"] = dialplan.read_text().replace("${ARI_APP}", settings.ari_app)
    return files


def digest(files: dict[str, str], sounds_dir: Path = SOUNDS_DIR) -> str:
    """One hash of the rendered files and the sounds: tells when Asterisk needs them anew."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    for wav in sorted(sounds_dir.glob("*.wav")):
        h.update(wav.name.encode() + b"\0" + wav.read_bytes())
    return h.hexdigest()


def install_script_digest(mirror: str, script: Path = INSTALL_SCRIPT) -> str:
    """The root filesystem's cache key: the install script's bytes and the mirror."""
    return hashlib.sha256(script.read_bytes() + mirror.encode()).hexdigest()
