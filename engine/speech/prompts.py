"""Confirmation prompts ("您是要查询账单吗？请按1"): their sound names and their sound files.

The text comes from ``skills/speech-menus.yaml`` (a language's ``confirm``); each text is
a sound file in Asterisk's ``tenure`` sounds folder named by a hash of the language and
text (``tenure/confirm-<hash>``), so an edited prompt is a new file and an old call never
plays a half-written one. ``confirmations`` (pure) gives the media per (language, menu,
intent) for ``SpeechPlan``; ``install`` synthesises the missing files with espeak-ng and
sox (8 kHz mono) when the Asterisk configuration is installed (``sandbox up``, the
Docker entrypoint's render). Without espeak-ng nothing is made and the IVR's question
plays nothing: the caller still hears the digit timeout and returns to the menu.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from engine.logs import get_logger
from engine.speech.menus import SpeechMenus

log = get_logger("speech.prompts")
VOICES = {"zh": "cmn", "en": "en-us"}  # espeak-ng voice per language (else the language)


def sound_name(lang: str, text: str) -> str:
    digest = hashlib.sha256(f"{lang}\n{text}".encode()).hexdigest()[:12]
    return f"confirm-{digest}"


def texts(menus: SpeechMenus) -> dict[tuple[str, str, str], str]:
    """(language, menu, intent) -> the question's text, for languages that confirm."""
    out: dict[tuple[str, str, str], str] = {}
    for (lang, name), menu in menus.menus.items():
        for intent in menu.intents:
            text = menu.confirm_text(intent)
            if text is not None:
                out[(lang, name, intent)] = text
    return out


def confirmations(menus: SpeechMenus) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """(language, menu, intent) -> ARI media of the question (``sound:tenure/confirm-…``)."""
    return {
        key: (f"sound:tenure/{sound_name(key[0], text)}",) for key, text in texts(menus).items()
    }


def install(menus: SpeechMenus, sounds: Path) -> list[str]:
    """Write the missing question files into ``sounds`` (Asterisk's ``tenure`` folder);
    returns the names written."""
    wanted = {sound_name(k[0], t): (k[0], t) for k, t in texts(menus).items()}
    missing = {n: lt for n, lt in wanted.items() if not (sounds / f"{n}.wav").exists()}
    if not missing:
        return []
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        log.warning("speech.prompts_not_made", missing=len(missing), reason="no espeak-ng/sox")
        return []
    sounds.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, (lang, text) in sorted(missing.items()):
            raw = Path(tmp) / f"{name}.raw.wav"
            voice = VOICES.get(lang, lang)
            subprocess.run(
                ["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text],
                check=True,
                capture_output=True,
            )
            part = Path(tmp) / f"{name}.wav"  # written whole, then moved into place
            subprocess.run(
                ["sox", "-q", "-V1", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(part)],
                check=True,
            )
            shutil.move(part, sounds / f"{name}.wav")
    return sorted(missing)
