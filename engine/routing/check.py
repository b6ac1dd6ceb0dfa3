"""Check routing YAML: JSON Schema per file, then rules across files.

Every problem is one ``file:line:column: reason`` string; nothing stops at the first.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

from engine.routing import yamldoc
from engine.routing.yamldoc import Doc

SCHEMA_PATH = Path(__file__).with_name("skills.schema.json")
KINDS = {"agents.yaml": "agents", "queues.yaml": "queues", "vip.yaml": "vip",
         "knowledge-base.yaml": "knowledge-base"}
CONTENT_KEYS = {"agents": "agents", "queues": "queues", "tiers": "vip", "topics": "knowledge-base"}


@cache
def _validator(kind: str) -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator({**schema, "$ref": f"#/$defs/{kind}"})


def kind_of(doc: Doc) -> str | None:
    name = Path(doc.path).name
    if name in KINDS:
        return KINDS[name]
    if isinstance(doc.data, dict):
        return next((k for key, k in CONTENT_KEYS.items() if key in doc.data), None)
    return None


def schema_issues(doc: Doc, kind: str) -> list[str]:
    return yamldoc.validation_issues(doc, _validator(kind))


def read_documents(paths: Iterable[str | Path]) -> tuple[dict[str, Doc], list[str]]:
    """Parse and schema-check files; returns documents by kind file name and the issues."""
    docs: dict[str, Doc] = {}
    issues: list[str] = []
    for path in paths:
        if Path(path).name == "ivr.yaml":
            issues += _ivr_issues(path)
            continue
        if Path(path).name in ("speech-menus.yaml", "complaint-words.yaml"):
            issues += _speech_issues(path)
            continue
        if Path(path).name in _profile_files():
            issues += _profile_issues(path)
            continue
        doc, error = yamldoc.load(path)
        if doc is None:
            issues.append(error or f"{path}:1:1: unreadable")
            continue
        kind = kind_of(doc)
        if kind is None:
            issues.append(f"{doc.mark()}: unknown file kind (expected agents.yaml, "
                          "queues.yaml, vip.yaml or knowledge-base.yaml)")
            continue
        issues += schema_issues(doc, kind)
        docs[f"{kind}.yaml"] = doc
    return docs, issues


def _ivr_issues(path: str | Path) -> list[str]:
    """The IVR menus have their own loader; its errors have no position: line 1."""
    from engine.ivr import config as ivr_config

    try:
        ivr_config.load(path)
    except ivr_config.IvrConfigError as exc:
        return [f"{path}:1:1: {str(exc).removeprefix(f'{path}: ')}"]
    return []


def _speech_issues(path: str | Path) -> list[str]:
    """Speech menus and complaint words (issue 6) have their own loaders: line 1."""
    from engine.speech.emotion.lexicon import ComplaintWordsError, load_complaint_words
    from engine.speech.menus import MenuError
    from engine.speech.menus import load as load_menus

    try:
        if Path(path).name == "speech-menus.yaml":
            load_menus(path)
        else:
            load_complaint_words(path)
    except (MenuError, ComplaintWordsError) as exc:
        return [f"{path}:1:1: {str(exc).removeprefix(f'{path}: ')}"]
    return []


def _profile_files() -> tuple[str, ...]:
    from engine.profiles.ruleset import RULE_FILES

    return RULE_FILES


def _profile_issues(path: str | Path) -> list[str]:
    """Offers, care rules and next best action (issue 4) are checked by their own schemas."""
    from engine.profiles.ruleset import check_file

    return check_file(path)


def _names(doc: Doc | None, key: str) -> set[str] | None:
    if doc is None or not isinstance(doc.data, dict) or not isinstance(doc.data.get(key), list):
        return None
    return {str(n) for n in doc.data[key]}


def _agents(doc: Doc, skills: set[str], groups: set[str]) -> list[str]:
    out, seen = [], set()
    for i, agent in enumerate(doc.data.get("agents") or ()):
        if agent["id"] in seen:
            out.append(f"{doc.mark(['agents', i, 'id'])}: duplicate agent id {agent['id']!r}")
        seen.add(agent["id"])
        out += [f"{doc.mark(['agents', i, 'skills', s], key=True)}: unknown skill {s!r}"
                for s in agent.get("skills") or {} if s not in skills]
        out += [f"{doc.mark(['agents', i, 'groups', j])}: unknown group {g!r}"
                for j, g in enumerate(agent.get("groups") or ()) if g not in groups]
    return out


def _queues(doc: Doc, skills: set[str] | None, groups: set[str] | None) -> list[str]:
    out: list[str] = []
    queues = doc.data.get("queues") or {}
    fallback = (doc.data.get("defaults") or {}).get("fallback_queue", "general")
    if fallback not in queues:
        out.append(f"{doc.mark(['defaults', 'fallback_queue'])}: fallback queue "
                   f"{fallback!r} is not defined")
    for name, q in queues.items():
        at = ["queues", name]
        if skills is not None:
            out += [f"{doc.mark([*at, 'skills', s], key=True)}: unknown skill {s!r}"
                    for s in q.get("skills") or {} if s not in skills]
        lowest = min((q.get("skills") or {}).values(), default=5)
        last_after = -1.0
        for i, step in enumerate(q.get("escalation") or ()):
            s_at = [*at, "escalation", i]
            if step["after"] < last_after:
                out.append(f"{doc.mark([*s_at, 'after'])}: steps must be in waiting order")
            last_after = step["after"]
            prof = step.get("min_proficiency")
            if prof is not None and prof > lowest:
                out.append(f"{doc.mark([*s_at, 'min_proficiency'])}: a step can only lower "
                           f"the minimum proficiency (was {lowest})")
            lowest = min(lowest, prof or lowest)
            if step.get("overflow") is not None and step["overflow"] not in queues:
                out.append(f"{doc.mark([*s_at, 'overflow'])}: overflow to unknown queue "
                           f"{step['overflow']!r}")
            if groups is not None:
                for key in ("widen_groups", "general_groups"):
                    out += [f"{doc.mark([*s_at, key, j])}: unknown group {g!r}"
                            for j, g in enumerate(step.get(key) or ()) if g not in groups]
        if groups is not None:
            out += [f"{doc.mark([*at, 'groups', j])}: unknown group {g!r}"
                    for j, g in enumerate(q.get("groups") or ()) if g not in groups]
    return out


def _vip(doc: Doc, queues: set[str] | None, groups: set[str] | None) -> list[str]:
    out, seen = [], set()
    for i, tier in enumerate(doc.data.get("tiers") or ()):
        at: list[str | int] = ["tiers", i]
        if tier["name"] in seen:
            out.append(f"{doc.mark([*at, 'name'])}: duplicate tier {tier['name']!r}")
        seen.add(tier["name"])
        if groups is not None and tier.get("group") is not None and tier["group"] not in groups:
            out.append(f"{doc.mark([*at, 'group'])}: unknown group {tier['group']!r}")
        if queues is not None and tier.get("overflow") is not None \
                and tier["overflow"] not in queues:
            out.append(f"{doc.mark([*at, 'overflow'])}: overflow to unknown queue "
                       f"{tier['overflow']!r}")
        if tier.get("overflow") is not None and tier.get("max_wait") is None:
            out.append(f"{doc.mark([*at, 'overflow'])}: overflow needs max_wait")
    return out


def check_documents(docs: dict[str, Doc], refs: dict[str, Doc] | None = None) -> list[str]:
    """Rules across files. ``refs`` supplies files that are not checked themselves."""
    every = {**(refs or {}), **docs}
    agents, queues, vip = (every.get(f"{k}.yaml") for k in ("agents", "queues", "vip"))
    skills, groups = _names(agents, "skills"), _names(agents, "groups")
    queue_names = None
    if queues is not None and isinstance(queues.data, dict) \
            and isinstance(queues.data.get("queues"), dict):
        queue_names = set(queues.data["queues"])
    out: list[str] = []
    checks = [("agents.yaml", lambda: _agents(agents, skills or set(), groups or set())),
              ("queues.yaml", lambda: _queues(queues, skills, groups)),
              ("vip.yaml", lambda: _vip(vip, queue_names, groups))]
    for name, rule in checks:
        if name in docs:
            # a malformed file stops its own rules; its schema errors say what is wrong
            with contextlib.suppress(KeyError, TypeError, AttributeError, ValueError):
                out += rule()
    return out


def position(issue: str) -> tuple[str, int, int]:
    path, line, col = [*issue.split(": ", 1)[0].rsplit(":", 2), "0", "0"][:3]
    return path, int(line) if line.isdigit() else 0, int(col) if col.isdigit() else 0


def check_files(paths: Iterable[str | Path]) -> list[str]:
    """Everything wrong with ``paths``; sibling files of missing kinds serve as references."""
    paths = [Path(p) for p in paths]
    docs, issues = read_documents(paths)
    refs: dict[str, Doc] = {}
    for folder in {p.parent for p in paths}:
        for name in KINDS:
            if name not in docs and (folder / name).exists() and folder / name not in paths:
                ref, _ = read_documents([folder / name])
                refs.update(ref)
    return sorted(dict.fromkeys(issues + check_documents(docs, refs)), key=position)
