"""Load ``skills/{agents,queues,vip,knowledge-base}.yaml`` into a ``RoutingConfig``.

Every file is checked first (its JSON Schema in ``engine/skills/schemas/``, then the
cross-file rules of ``check.py``); a config with any error is refused as a whole with
``file:line:column: reason`` messages, so a running engine keeps its last good
configuration. ``build_config`` is the domain builder ``engine.skills.catalogue`` calls.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from engine.routing.check import check_documents
from engine.routing.config_types import Agent, Queue, RoutingConfig, Step, Tier
from engine.skills import loader
from engine.skills.loader import Doc, SkillFileError

FILES = ("agents.yaml", "queues.yaml", "vip.yaml", "knowledge-base.yaml")
OPTIONAL = frozenset({"knowledge-base.yaml"})


class RoutingConfigError(SkillFileError):
    """The routing YAML is invalid; ``issues`` holds one ``file:line:col: reason`` each."""


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one routing file (``agents.yaml`` ...)."""
    return loader.schema("routing", name.removesuffix(".yaml"))


def _agent(raw: dict[str, Any]) -> Agent:
    return Agent(
        id=str(raw["id"]),
        name=str(raw.get("name", raw["id"])),
        endpoint=str(raw["endpoint"]),
        languages=tuple(raw.get("languages") or ()),
        skills={str(k): int(v) for k, v in (raw.get("skills") or {}).items()},
        groups=tuple(raw.get("groups") or ()),
        auto_login=bool(raw.get("auto_login")),
    )


def _step(raw: dict[str, Any]) -> Step:
    return Step(
        after=float(raw["after"]),
        min_proficiency=raw.get("min_proficiency"),
        widen_groups=tuple(raw.get("widen_groups") or ()),
        general_groups=tuple(raw.get("general_groups") or ()),
        knowledge_hint=bool(raw.get("knowledge_hint")),
        overflow=raw.get("overflow"),
        callback=bool(raw.get("callback")),
    )


def _queue(name: str, raw: dict[str, Any]) -> Queue:
    sl = raw.get("service_level") or {}
    steps = sorted((_step(s) for s in raw.get("escalation") or ()), key=lambda s: s.after)
    return Queue(
        name=name,
        skills=tuple((str(k), int(v)) for k, v in (raw.get("skills") or {}).items()),
        groups=tuple(raw.get("groups") or ()),
        language=raw.get("language"),
        priority=float(raw.get("priority", 0)),
        strategy=raw.get("strategy", "best-skill"),
        sl_percent=float(sl.get("percent", 80)),
        sl_seconds=float(sl.get("seconds", 20)),
        steps=tuple(steps),
    )


def _tier(raw: dict[str, Any]) -> Tier:
    q = raw.get("qualify") or {}
    return Tier(
        name=str(raw["name"]),
        value_percentile=q.get("value_percentile"),
        risk_tiers=tuple(q.get("risk_tiers") or ()),
        flags=tuple(q.get("flags") or ()),
        priority_boost=float(raw.get("priority_boost", 0)),
        group=raw.get("group"),
        max_wait=raw.get("max_wait"),
        overflow=raw.get("overflow"),
    )


def build(data: dict[str, Any], version: str = "") -> RoutingConfig:
    """The config from already-checked documents, keyed by file name."""
    agents_doc = data.get("agents.yaml") or {}
    queues_doc = data.get("queues.yaml") or {}
    vip_doc = data.get("vip.yaml") or {}
    kb_doc = data.get("knowledge-base.yaml") or {}
    defaults = queues_doc.get("defaults") or {}
    knowledge = {
        (str(topic), str(lang)): dict(article)
        for topic, by_lang in (kb_doc.get("topics") or {}).items()
        for lang, article in (by_lang or {}).items()
    }
    return RoutingConfig(
        agents={str(a["id"]): _agent(a) for a in agents_doc.get("agents") or ()},
        queues={str(n): _queue(str(n), q) for n, q in (queues_doc.get("queues") or {}).items()},
        tiers=tuple(_tier(t) for t in vip_doc.get("tiers") or ()),
        skills=frozenset(agents_doc.get("skills") or ()),
        groups=frozenset(agents_doc.get("groups") or ()),
        default_language=str(defaults.get("language", "en")),
        fallback_queue=str(defaults.get("fallback_queue", "general")),
        aging=float(vip_doc.get("aging", 1.0)),
        churn_boost={str(k): float(v) for k, v in (vip_doc.get("churn_boost") or {}).items()},
        knowledge=knowledge,
        version=version,
    )


def build_config(docs: dict[str, Doc]) -> RoutingConfig:
    """The config from schema-checked documents keyed by file name, after the rules across
    files; raises ``RoutingConfigError``. The version hashes the files as written."""
    issues = check_documents(docs)
    if issues:
        raise RoutingConfigError(issues)
    digest = hashlib.sha256("".join(docs[n].text for n in FILES if n in docs).encode())
    return build({name: doc.data for name, doc in docs.items()}, digest.hexdigest()[:12])


def read_config(paths: list[Path]) -> dict[str, Doc]:
    """Parse and schema-check the routing files ``paths``; raises ``RoutingConfigError``
    with every problem of every file."""
    docs: dict[str, Doc] = {}
    issues: list[str] = []
    for path in paths:
        try:
            docs[path.name] = loader.check(loader.load(path), schema(path.name))
        except SkillFileError as exc:
            issues += exc.issues
    if issues:
        raise RoutingConfigError(issues)
    return docs


def load_config(skills_dir: str | Path) -> RoutingConfig:
    """Check and load the routing YAML of ``skills_dir``; raises ``RoutingConfigError``."""
    folder = Path(skills_dir)
    paths = [folder / name for name in FILES if name not in OPTIONAL or (folder / name).exists()]
    return build_config(read_config(paths))
