"""Supervisor-edited YAML rule files of the profiles domain (offers, care rules, next best
action): parsed with positions, checked against a JSON Schema, every problem reported as
``file:line:column: reason``. A broken edit raises ``RuleFileError``; callers keep the
last good rules (``LiveRules``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from engine.logs import get_logger
from engine.skills.loader import Doc
from engine.skills.loader import SkillFileError as RuleFileError
from engine.skills.loader import load_checked as load
from engine.skills.loader import parse_checked as parse

log = get_logger(__name__)
T = TypeVar("T")
__all__ = ["LiveRules", "RuleFileError", "load", "parse"]


class LiveRules(Generic[T]):
    """The rules of one file as the engine uses them: a reload that fails keeps the last
    good rules and remembers why (``errors``)."""

    def __init__(
        self,
        path: str | Path,
        schema: dict[str, Any],
        build: Callable[[Doc], T],
        missing: T | None = None,
    ) -> None:
        """``missing``: the rules to use while the file does not exist (None: required).
        A broken file stops start-up."""
        self.path = Path(path)
        self.schema = schema
        self.build = build
        self.missing = missing
        self.errors: list[str] = []
        self.current: T = self._read()

    def _read(self) -> T:
        if self.missing is not None and not self.path.exists():
            return self.missing
        return load(self.path, self.schema, self.build)

    def reload(self) -> bool:
        try:
            self.current = self._read()
        except RuleFileError as exc:
            self.errors = exc.issues
            log.error("rules.reload_refused", file=str(self.path), errors=exc.issues)
            return False
        self.errors = []
        return True
