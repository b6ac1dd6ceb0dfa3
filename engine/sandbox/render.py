"""Install the engine's Asterisk configuration and sounds into a folder.

Shared by the sandbox (into its chroot) and the Docker entrypoint (into the image's
/etc/asterisk): ``python -m engine.sandbox.render ETC_DIR SOUNDS_DIR`` with the settings
taken from ``ENGINE_*`` variables or ``ENGINE_CONFIG``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from engine.sandbox import config
from engine.settings import Settings, load
from engine.softphone import certs


def install(settings: Settings, etc: Path, sounds: Path) -> str:
    """Write the rendered files; returns their digest (to tell when they change)."""
    files = config.render(settings)
    (etc / "users.conf").unlink(missing_ok=True)  # Debian's sample; deprecated
    for name, text in files.items():
        path = etc / name
        path.write_text(text)
        path.chmod(0o640)
    if settings.softphone_secret:
        certs.ensure(etc)  # the softphones' DTLS certificate, made once
    sounds.mkdir(parents=True, exist_ok=True)
    for wav in config.SOUNDS_DIR.glob("*.wav"):
        shutil.copy(wav, sounds / wav.name)
    install_prompts(settings, sounds)
    return config.digest(files)


def install_prompts(settings: Settings, sounds: Path) -> list[str]:
    """The speech menus' confirmation questions as sound files (only the missing ones)."""
    from engine.speech import menus, prompts  # speech stays unloaded when not asked

    path = settings.skills_path / "speech-menus.yaml"
    if not path.exists():
        return []
    try:
        return prompts.install(menus.load(path), sounds)
    except menus.MenuError:
        return []  # the engine refuses the file itself, with its line


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m engine.sandbox.render ETC_DIR SOUNDS_DIR", file=sys.stderr)
        return 2
    try:
        install(load(), Path(argv[0]), Path(argv[1]))
    except (config.ConfigError, certs.CertError, OSError) as exc:
        print(f"render: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
