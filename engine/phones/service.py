"""Trunk edits applied live: ``skills/trunks.yaml`` reloaded -> the trunk files rendered
by ``engine.phones.pjsip`` written into Asterisk's configuration folder -> ``module
reload res_pjsip.so`` and a dialplan reload over AMI. A PJSIP reload re-reads endpoints,
AORs, identifies, auths and registrations; calls in progress keep their channels.

Also resolves ``dialer_trunk`` when it names a trunk (its dial string and prefix).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.logs import get_logger
from engine.phones import pjsip
from engine.phones import trunks as trunks_mod
from engine.phones.trunks import Trunks
from engine.settings import Settings

log = get_logger(__name__)
RELOADS = ("res_pjsip.so", "pbx_config.so")


def config_dir(settings: Settings) -> Path | None:
    """Where the trunk files go: ``asterisk_config_dir``, else the sandbox's folder when
    it exists; None: nowhere (they are rendered at the next start)."""
    if settings.asterisk_config_dir:
        return Path(settings.asterisk_config_dir)
    sandbox = Path(settings.sandbox_dir) / "rootfs" / "etc" / "asterisk"
    return sandbox if sandbox.is_dir() else None


def dial_string(setting: str, trunks: Trunks) -> tuple[str, str]:
    """``dialer_trunk`` as (dial string, outbound caller ID): as written when it has
    ``{number}``, else the named trunk's; an unknown trunk is an error naming the known
    ones."""
    if "{number}" in setting:
        return setting, ""
    trunk = trunks.get(setting)
    if trunk is None:
        known = ", ".join(trunks.names()) or "none"
        raise trunks_mod.TrunkError(
            f"dialer_trunk {setting!r} is not a trunk of skills/trunks.yaml (trunks: {known})"
        )
    return trunk.dial_string(), trunk.caller_id


class PhoneConfig:
    def __init__(
        self,
        settings: Settings,
        action: Callable[[dict[str, str]], Any],
        use_dial_string: Callable[[str, str], None],
        environ: Callable[[], dict[str, str]] = lambda: dict(os.environ),
    ) -> None:
        """``action``: one AMI action (awaitable); ``use_dial_string``: the dialer's."""
        self.settings = settings
        self.action = action
        self.use_dial_string = use_dial_string
        self.environ = environ
        self.trunks: Trunks = trunks_mod.NONE
        self.applied = 0

    def files(self, trunks: Trunks) -> dict[str, str]:
        secrets = trunks_mod.passwords(trunks, self.environ())
        every = pjsip.render(pjsip.from_settings(self.settings), trunks, secrets)
        return {name: every[name] for name in pjsip.TRUNK_FILES}

    async def use_trunks(self, trunks: Trunks) -> None:
        """The skills reload's binding: render, write what changed, reload Asterisk."""
        files = self.files(trunks)  # a missing password refuses the edit
        dial, caller_id = dial_string(self.settings.dialer_trunk, trunks)
        self.trunks = trunks
        self.use_dial_string(dial, caller_id)
        folder = config_dir(self.settings)
        if folder is None:
            log.warning("phones.trunks_not_written", reason="no asterisk_config_dir")
            return
        changed = [name for name, text in files.items() if _differs(folder / name, text)]
        for name in changed:
            _write(folder / name, files[name])
        if changed:
            for module in RELOADS:
                reply = await self.action({"Action": "Reload", "Module": module})
                if str(_get(reply, "Response")).lower() == "error":
                    raise RuntimeError(
                        f"Asterisk refused to reload {module}: {_get(reply, 'Message')}"
                    )
            self.applied += 1
            log.warning("phones.trunks_applied", files=changed, trunks=trunks.names())


def _get(reply: Any, key: str) -> Any:
    """A field of an AMI reply (panoramisk's Message is a dict; a list: its first)."""
    if isinstance(reply, list):
        reply = reply[0] if reply else {}
    return reply.get(key) if hasattr(reply, "get") else None


def _differs(path: Path, text: str) -> bool:
    try:
        return path.read_text() != text
    except OSError:
        return True


def _write(path: Path, text: str) -> None:
    """In place: the file keeps its owner, group and mode (in the image the engine's
    user owns these two files, not the folder); Asterisk reads it only on the reload."""
    existed = path.exists()
    path.write_text(text)
    if not existed:
        path.chmod(0o640)
