"""Synthesised Mandarin for simulated callers: espeak-ng's pinyin voice, resampled by sox
to 8 kHz mono 16-bit (what Asterisk plays), written into the sandbox's sounds folder.

    sound = say(sandbox.sounds_dir, "demo-jishu", "ji4 shu4 zhi1 chi2")  # "tenure/demo-jishu"
    params = parties.caller("8000", "13800138000", wav=sound)

``-v cmn-latn-pinyin`` is recognised far better than ``-v cmn`` by the small Chinese
Vosk model (docs/speech.md). Needs the ``espeak-ng`` and ``sox`` Debian packages
(scripts/bootstrap-host.sh installs them); ``missing_tools`` names the absent ones.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

TOOLS = ("espeak-ng", "sox")


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def say(
    sounds_dir: Path,
    name: str,
    pinyin: str,
    *,
    amplitude: int | None = None,
    pitch: int | None = None,
    speed: int | None = None,
) -> str:
    """Write ``NAME.wav`` (8 kHz) saying ``pinyin`` (tone digits, e.g. "ni3 hao3") into
    ``sounds_dir``; returns its Asterisk sound name ``tenure/NAME``. espeak's amplitude
    (0-200), pitch (0-99) and speed (words per minute) default to its own."""
    options = {"-a": amplitude, "-p": pitch, "-s": speed}
    voice = [flag_value for k, v in options.items() if v is not None for flag_value in (k, str(v))]
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(
            ["espeak-ng", "-v", "cmn-latn-pinyin", *voice, "-w", str(raw), pinyin],
            check=True,
            capture_output=True,
        )
        out = sounds_dir / f"{name}.wav"
        subprocess.run(
            ["sox", "-q", "-V1", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)],
            check=True,
        )
    return f"tenure/{name}"
