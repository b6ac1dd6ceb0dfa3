"""Render the engine's Asterisk configuration from settings. Pure: text in, text out.

``asterisk-config/*.conf`` are ``string.Template`` files (``${ari_password}``...);
``dialplan/extensions.conf`` keeps Asterisk's own ``${...}`` and only has ``${ARI_APP}``
replaced. ``pjsip_agents.conf`` (one endpoint per agent phone) is generated from
``sip_agents`` and ``sip_agent_password``. Credentials come from settings; there are no
defaults for them.
"""

from __future__ import annotations

import hashlib
import re
import socket
from pathlib import Path
from string import Template

from engine.settings import Settings

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / "asterisk-config"
DIALPLAN = REPO / "dialplan" / "extensions.conf"
SOUNDS_DIR = REPO / "dialplan" / "sounds"
INSTALL_SCRIPT = REPO / "docker" / "install-asterisk.sh"
MAX_AGENT_PHONES = 1000


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


def system_name(settings: Settings) -> str:
    """Asterisk's ``systemname``: the prefix of every channel id it makes, so the call
    records of engines sharing one store never collide (the engine's instance id, else
    the host name; letters, digits, ``-`` and ``_`` only)."""
    raw = settings.instance_id or socket.gethostname()
    return re.sub(r"[^A-Za-z0-9_-]", "-", raw)[:40] or "tenure"


def agent_numbers(spec: str) -> list[str]:
    """``"1001-1003,2001"`` -> ["1001", "1002", "1003", "2001"]."""
    out: list[str] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        first, _, last = part.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            raise ConfigError(f"sip_agents: {part!r} is not a number or a range like 1001-1010")
        if not last:
            out.append(first)
            continue
        if int(last) < int(first) or int(last) - int(first) >= MAX_AGENT_PHONES:
            raise ConfigError(f"sip_agents: bad range {part!r}")
        out += [str(n).zfill(len(first)) for n in range(int(first), int(last) + 1)]
    return list(dict.fromkeys(out))


def pjsip_agents(settings: Settings) -> str:
    """One endpoint, AOR and auth per agent phone, from the templates in pjsip.conf."""
    head = "; Generated from the settings sip_agents and sip_agent_password.\n"
    if not settings.sip_agent_password:
        return head + "; sip_agent_password is empty: no agent phones.\n"
    if any(c in settings.sip_agent_password for c in "\n;"):
        raise ConfigError("sip_agent_password must not contain a newline or ';'")
    blocks = [head]
    for n in agent_numbers(settings.sip_agents):
        blocks.append(
            f"[{n}](agent-endpoint)\nauth = {n}\naors = {n}\ncallerid = <{n}>\n"
            f"[{n}](agent-aor)\n"
            f"[{n}](agent-auth)\nusername = {n}\n"
            f"password = {settings.sip_agent_password}\n"
        )
    return "\n".join(blocks)


def render(
    settings: Settings, config_dir: Path = CONFIG_DIR, dialplan: Path = DIALPLAN
) -> dict[str, str]:
    """File name -> rendered text for /etc/asterisk."""
    mapping = values(settings)
    files: dict[str, str] = {}
    for path in sorted(config_dir.glob("*.conf")):
        try:
            files[path.name] = Template(path.read_text()).substitute(mapping)
        except (KeyError, ValueError) as exc:
            raise ConfigError(f"{path}: bad placeholder {exc}") from None
    files["pjsip_agents.conf"] = pjsip_agents(settings)
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
