"""Speech test fixtures: the real Mandarin model (found through settings) and espeak-ng.

Model-dependent tests use ``zh_model``. Without the model they are skipped on a
developer machine and FAIL under CI (``CI`` set), where `scripts/test.sh` runs
`python -m engine models fetch` first: a missing model must never pass silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from engine import settings as settings_mod
from engine.speech import audio
from engine.speech.recognition_models import ModelStore, folder_problems

ROOT = Path(__file__).resolve().parents[3]
SKILLS = ROOT / "skills"


def _need(what: str, fix: str) -> None:
    message = f"{what} is missing: {fix}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def speech_settings() -> settings_mod.Settings:
    keep = {
        k: v for k, v in os.environ.items() if k in {"ENGINE_MODELS_DIR", "ENGINE_SPEECH_MODELS"}
    }
    return settings_mod.load(None, environ=keep, skills_dir=str(SKILLS), speech_workers=2)


@pytest.fixture(scope="session")
def model_store(speech_settings) -> ModelStore:
    paths = speech_settings.speech_model_paths
    problems = folder_problems(paths["zh"])
    if problems:
        _need(
            f"the Mandarin speech model ({paths['zh']}: {'; '.join(problems)})",
            "run `python -m engine models fetch --lang zh`",
        )
    pytest.importorskip("vosk")
    return ModelStore(paths)


@pytest.fixture(scope="session")
def zh_model(model_store):
    return model_store.get("zh")


@pytest.fixture(scope="session")
def espeak(tmp_path_factory):
    """``espeak(pinyin, **options) -> 16 kHz float samples`` (also writes the WAV)."""
    if shutil.which("espeak-ng") is None:
        _need("espeak-ng", "apt-get install espeak-ng (scripts/bootstrap-host.sh does)")
    folder = tmp_path_factory.mktemp("espeak")

    def say(
        text: str, name: str | None = None, amplitude: int = 100, pitch: int = 50, speed: int = 160
    ) -> np.ndarray:
        path = folder / (name or f"{abs(hash((text, amplitude, pitch, speed)))}.wav")
        subprocess.run(
            [
                "espeak-ng",
                "-v",
                "cmn-latn-pinyin",
                "-a",
                str(amplitude),
                "-p",
                str(pitch),
                "-s",
                str(speed),
                "-w",
                str(path),
                text,
            ],
            check=True,
            capture_output=True,
        )
        return audio.load_16k(path)

    say.folder = folder
    return say
