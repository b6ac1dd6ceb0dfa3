"""Supervisor-edited YAML rule files of the profiles domain (offers, care rules, next best
action): parsed with positions, checked against a JSON Schema, every problem reported as
``file:line:column: reason``. A broken edit raises ``RuleFileError``; callers keep the
last good rules (``LiveRules``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from jsonschema import Draft202012Validator

from engine.logs import get_logger
from engine.routing import yamldoc
from engine.routing.yamldoc import Doc

log = get_logger(__name__)
T = TypeVar("T")


class RuleFileError(ValueError):
    """A rule file is invalid; ``issues`` holds one ``file:line:column: reason`` each."""

    def __init__(self, issues: list[str]) -> None:
        super().__init__("\n".join(issues))
        self.issues = issues


def schema_issues(doc: Doc, schema: dict[str, Any]) -> list[str]:
    return yamldoc.validation_issues(doc, Draft202012Validator(schema))


def parse(text: str, path: str, schema: dict[str, Any],
          build: Callable[[Doc], T]) -> T:
    """Parse and check ``text``; ``build`` turns a valid document into rules and may raise
    ``RuleFileError`` itself for rules a schema cannot express."""
    doc, error = yamldoc.parse(text, path)
    if doc is None:
        raise RuleFileError([error or f"{path}:1:1: empty"])
    issues = schema_issues(doc, schema)
    if issues:
        raise RuleFileError(issues)
    return build(doc)


def load(path: str | Path, schema: dict[str, Any], build: Callable[[Doc], T]) -> T:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleFileError([f"{path}:1:1: cannot read: {exc.strerror or exc}"]) from None
    return parse(text, str(path), schema, build)


class LiveRules(Generic[T]):
    """The rules of one file as the engine uses them: a reload that fails keeps the last
    good rules and remembers why (``errors``)."""

    def __init__(self, path: str | Path, schema: dict[str, Any],
                 build: Callable[[Doc], T], missing: T | None = None) -> None:
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


def _rule_files() -> dict[str, tuple[dict[str, Any], Callable[[Doc], Any]]]:
    from engine.profiles.care import rules as care
    from engine.profiles.retention import nba, offers
    from engine.profiles.risk import config as risk_config

    return {"risk-tags.yaml": (risk_config.SCHEMA, risk_config._build),
            "offers.yaml": (offers.SCHEMA, offers._build),
            "care-rules.yaml": (care.SCHEMA, care._build),
            "next-best-action.yaml": (nba.SCHEMA, nba._build)}


RULE_FILES = ("risk-tags.yaml", "offers.yaml", "care-rules.yaml", "next-best-action.yaml")


def check_file(path: str | Path) -> list[str]:
    """``file:line:column: reason`` for each problem of one profiles rule file (used by
    ``python -m engine skills check``)."""
    schema, build = _rule_files()[Path(path).name]
    try:
        load(path, schema, build)
    except RuleFileError as exc:
        return exc.issues
    return []
