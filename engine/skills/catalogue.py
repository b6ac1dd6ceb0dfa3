"""The one place that knows every supervisor rule file of ``skills/``: file name -> JSON
Schema -> the domain builder that turns the checked document into the domain's types.

Domain builders stay in their domains and import only ``engine.skills.loader``; this
module imports them all (nothing imports it back but the composition root and the CLI).
A *unit* is what one builder makes: routing's four files give one ``RoutingConfig``,
every other file its own value. A unit whose files are all absent uses its ``missing``
value (None: the file is required).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from engine.ivr import config as ivr_config
from engine.phones import trunks
from engine.profiles.care import rules as care
from engine.profiles.retention import nba, offers
from engine.profiles.risk import config as risk_config
from engine.routing import config as routing_config
from engine.routing.check import check_documents
from engine.skills import loader
from engine.skills.loader import Doc, SkillFileError
from engine.speech import admission_rules, menus
from engine.speech.emotion import lexicon

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, eq=False)
class SkillFile:
    name: str
    schema: dict[str, Any]
    optional: bool = False


@dataclass(frozen=True, eq=False)
class Unit:
    name: str
    files: tuple[SkillFile, ...]
    build: Callable[[dict[str, Doc]], Any]
    missing: Any = None


def _single(build: Callable[[Doc], Any]) -> Callable[[dict[str, Doc]], Any]:
    def one(docs: dict[str, Doc]) -> Any:
        [doc] = docs.values()
        return build(doc)

    return one


def _one(
    name: str, schema: dict[str, Any], build: Callable[[Doc], Any], missing: Any = None
) -> Unit:
    return Unit(name.removesuffix(".yaml"), (SkillFile(name, schema),), _single(build), missing)


ROUTING = Unit(
    "routing",
    tuple(
        SkillFile(name, routing_config.schema(name), optional=name in routing_config.OPTIONAL)
        for name in routing_config.FILES
    ),
    routing_config.build_config,
)

UNITS: tuple[Unit, ...] = (
    ROUTING,
    _one("ivr.yaml", loader.schema("ivr"), ivr_config.build),
    _one("speech-menus.yaml", loader.schema("speech-menus"), menus.build, menus.SpeechMenus({})),
    _one(
        "complaint-words.yaml", loader.schema("complaint-words"), lexicon.build_complaint_words, {}
    ),
    _one(
        "listening.yaml", loader.schema("listening"), admission_rules.build, admission_rules.DEFAULT
    ),
    _one("risk-tags.yaml", risk_config.SCHEMA, risk_config.build, risk_config.RiskConfig()),
    _one("offers.yaml", offers.SCHEMA, offers.build, offers.OfferRules(())),
    _one("care-rules.yaml", care.SCHEMA, care.build, care.CareRules(())),
    _one("next-best-action.yaml", nba.SCHEMA, nba.build, nba.NO_NBA),
    _one("trunks.yaml", loader.schema("trunks"), trunks.build, trunks.NONE),
)
FILES: dict[str, tuple[Unit, SkillFile]] = {f.name: (u, f) for u in UNITS for f in u.files}
# a routing file under another name is known by its top-level key
CONTENT_KEYS = {
    "agents": "agents.yaml",
    "queues": "queues.yaml",
    "tiers": "vip.yaml",
    "topics": "knowledge-base.yaml",
}


def unit(name: str) -> Unit:
    return next(u for u in UNITS if u.name == name)


def read_doc(path: Path, file: SkillFile) -> Doc:
    """One file parsed and checked against its schema; raises ``SkillFileError``."""
    return loader.check(loader.load(path), file.schema)


def _each(keys: Iterable[K], read: Callable[[K], V]) -> dict[K, V]:
    """``read`` of every key; one ``SkillFileError`` with the problems of all."""
    out: dict[K, V] = {}
    issues: list[str] = []
    for key in keys:
        try:
            out[key] = read(key)
        except SkillFileError as exc:
            issues += exc.issues
    if issues:
        raise SkillFileError(issues)
    return out


def read_unit(folder: str | Path, unit: Unit) -> Any:
    """The unit's value from the files of ``folder``; raises ``SkillFileError`` with every
    problem of every file (syntax, duplicate keys, schema, then the builder's rules)."""
    folder = Path(folder)
    present = {
        f.name: f
        for f in unit.files
        if (folder / f.name).exists() or not (f.optional or unit.missing is not None)
    }
    docs = _each(present, lambda name: read_doc(folder / name, present[name]))
    if not docs and unit.missing is not None:
        return unit.missing
    return unit.build(docs)


def read_all(folder: str | Path, units: Iterable[Unit] = UNITS) -> dict[str, Any]:
    """Every unit's value (start-up); raises ``SkillFileError`` with every problem."""
    return {u.name: value for u, value in _each(units, lambda u: read_unit(folder, u)).items()}


# -- `skills check` -------------------------------------------------------------------
def _entry(path: Path) -> tuple[str, Unit, SkillFile] | None:
    """The catalogue name, unit and file of ``path``: by file name, else (routing files)
    by the document's top-level key."""
    if path.name in FILES:
        return (path.name, *FILES[path.name])
    with contextlib.suppress(SkillFileError):
        doc = loader.load(path)
        if isinstance(doc.data, dict):
            name = next((n for key, n in CONTENT_KEYS.items() if key in doc.data), None)
            if name is not None:
                return (name, *FILES[name])
    return None


def expand(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; a folder stands for its catalogue files (required ones even when
    absent, so their absence is reported)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if not p.is_dir():
            out.append(p)
            continue
        for u in UNITS:
            out += [
                p / f.name
                for f in u.files
                if (p / f.name).exists() or not (f.optional or u.missing is not None)
            ]
    return list(dict.fromkeys(out))


def position(issue: str) -> tuple[str, int, int]:
    path, line, col = [*issue.split(": ", 1)[0].rsplit(":", 2), "0", "0"][:3]
    return path, int(line) if line.isdigit() else 0, int(col) if col.isdigit() else 0


def check_files(paths: Iterable[str | Path]) -> list[str]:
    """Everything wrong with ``paths`` (files or folders), sorted by position: each file
    alone, then routing's rules across files (siblings not given serve as references)."""
    paths = expand(paths)
    issues: list[str] = []
    routing: dict[str, Doc] = {}
    for path in paths:
        entry = _entry(path)
        if entry is None:
            issues.append(f"{path}:1:1: unknown file kind (expected one of {', '.join(FILES)})")
            continue
        name, u, file = entry
        try:
            doc = loader.load(path)
        except SkillFileError as exc:
            issues += exc.issues
            continue
        invalid = loader.schema_issues(doc, file.schema)
        issues += invalid
        if u is ROUTING:  # its rules across files run on what they can read
            routing[name] = doc
            continue
        if invalid:
            continue
        try:
            u.build({name: doc})
        except SkillFileError as exc:
            issues += exc.issues
    if routing:
        issues += check_documents(routing, _references(paths, routing))
    return sorted(dict.fromkeys(issues), key=position)


def _references(paths: list[Path], given: dict[str, Doc]) -> dict[str, Doc]:
    refs: dict[str, Doc] = {}
    for folder in {p.parent for p in paths}:
        for file in ROUTING.files:
            path = folder / file.name
            if file.name not in given and path.exists() and path not in paths:
                with contextlib.suppress(SkillFileError):
                    refs[file.name] = loader.load(path)
    return refs
