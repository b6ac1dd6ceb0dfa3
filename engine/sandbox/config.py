"""Render the engine's Asterisk configuration from settings. Pure: text in, text out.

``asterisk-config/*.conf`` are ``string.Template`` files (``${ari_password}``...);
``dialplan/extensions.conf`` keeps Asterisk's own ``${...}`` and only has ``${ARI_APP}``
replaced. Credentials come from settings; there are no defaults for them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from string import Template

from engine.settings import Settings

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / "asterisk-config"
DIALPLAN = REPO / "dialplan" / "extensions.conf"
SOUNDS_DIR = REPO / "dialplan" / "sounds"
INSTALL_SCRIPT = REPO / "docker" / "install-asterisk.sh"


class ConfigError(ValueError):
    pass


def values(settings: Settings) -> dict[str, str]:
    missing = [n for n in ("ari_password", "ami_secret") if not getattr(settings, n)]
    if missing:
        raise ConfigError(f"missing required setting(s) for Asterisk: {', '.join(missing)}")
    return {
        "ari_host": settings.ari_host, "ari_port": str(settings.ari_port),
        "ari_user": settings.ari_user, "ari_password": settings.ari_password,
        "ami_host": settings.ami_host, "ami_port": str(settings.ami_port),
        "ami_user": settings.ami_user, "ami_secret": settings.ami_secret,
        "sip_bind": "127.0.0.1", "sip_port": str(settings.sip_port),
        "rtp_start": str(settings.rtp_start), "rtp_end": str(settings.rtp_end),
    }


def render(settings: Settings, config_dir: Path = CONFIG_DIR,
           dialplan: Path = DIALPLAN) -> dict[str, str]:
    """File name -> rendered text for /etc/asterisk."""
    mapping = values(settings)
    files: dict[str, str] = {}
    for path in sorted(config_dir.glob("*.conf")):
        try:
            files[path.name] = Template(path.read_text()).substitute(mapping)
        except (KeyError, ValueError) as exc:
            raise ConfigError(f"{path}: bad placeholder {exc}") from None
    files["extensions.conf"] = dialplan.read_text().replace("${ARI_APP}", settings.ari_app)
    return files


def digest(files: dict[str, str]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    for wav in sorted(SOUNDS_DIR.glob("*.wav")):
        h.update(wav.name.encode() + wav.read_bytes())
    return h.hexdigest()


def install_script_digest(mirror: str) -> str:
    return hashlib.sha256(INSTALL_SCRIPT.read_bytes() + mirror.encode()).hexdigest()
