"""Rules across the routing YAML files (agents, queues, VIP tiers) that a JSON Schema
cannot express: names a file uses must be defined in another.

Every problem is one ``file:line:column: reason`` string; nothing stops at the first.
The schemas and the ``skills check`` command live in ``engine/skills/``.
"""

from __future__ import annotations

import contextlib

from engine.skills.loader import Doc


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
        out += [
            f"{doc.mark(['agents', i, 'skills', s], key=True)}: unknown skill {s!r}"
            for s in agent.get("skills") or {}
            if s not in skills
        ]
        out += [
            f"{doc.mark(['agents', i, 'groups', j])}: unknown group {g!r}"
            for j, g in enumerate(agent.get("groups") or ())
            if g not in groups
        ]
    return out


def _queues(doc: Doc, skills: set[str] | None, groups: set[str] | None) -> list[str]:
    out: list[str] = []
    queues = doc.data.get("queues") or {}
    fallback = (doc.data.get("defaults") or {}).get("fallback_queue", "general")
    if fallback not in queues:
        out.append(
            f"{doc.mark(['defaults', 'fallback_queue'])}: fallback queue "
            f"{fallback!r} is not defined"
        )
    for name, q in queues.items():
        at = ["queues", name]
        if skills is not None:
            out += [
                f"{doc.mark([*at, 'skills', s], key=True)}: unknown skill {s!r}"
                for s in q.get("skills") or {}
                if s not in skills
            ]
        lowest = min((q.get("skills") or {}).values(), default=5)
        last_after = -1.0
        for i, step in enumerate(q.get("escalation") or ()):
            s_at = [*at, "escalation", i]
            if step["after"] < last_after:
                out.append(f"{doc.mark([*s_at, 'after'])}: steps must be in waiting order")
            last_after = step["after"]
            prof = step.get("min_proficiency")
            if prof is not None and prof > lowest:
                out.append(
                    f"{doc.mark([*s_at, 'min_proficiency'])}: a step can only lower "
                    f"the minimum proficiency (was {lowest})"
                )
            lowest = min(lowest, prof or lowest)
            if step.get("overflow") is not None and step["overflow"] not in queues:
                out.append(
                    f"{doc.mark([*s_at, 'overflow'])}: overflow to unknown queue "
                    f"{step['overflow']!r}"
                )
            if groups is not None:
                for key in ("widen_groups", "general_groups"):
                    out += [
                        f"{doc.mark([*s_at, key, j])}: unknown group {g!r}"
                        for j, g in enumerate(step.get(key) or ())
                        if g not in groups
                    ]
        if groups is not None:
            out += [
                f"{doc.mark([*at, 'groups', j])}: unknown group {g!r}"
                for j, g in enumerate(q.get("groups") or ())
                if g not in groups
            ]
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
        if (
            queues is not None
            and tier.get("overflow") is not None
            and tier["overflow"] not in queues
        ):
            out.append(
                f"{doc.mark([*at, 'overflow'])}: overflow to unknown queue {tier['overflow']!r}"
            )
        if tier.get("overflow") is not None and tier.get("max_wait") is None:
            out.append(f"{doc.mark([*at, 'overflow'])}: overflow needs max_wait")
    return out


def check_documents(docs: dict[str, Doc], refs: dict[str, Doc] | None = None) -> list[str]:
    """Rules across files. ``refs`` supplies files that are not checked themselves."""
    every = {**(refs or {}), **docs}
    agents, queues = (every.get(f"{k}.yaml") for k in ("agents", "queues"))
    skills, groups = _names(agents, "skills"), _names(agents, "groups")
    queue_names = None
    if (
        queues is not None
        and isinstance(queues.data, dict)
        and isinstance(queues.data.get("queues"), dict)
    ):
        queue_names = set(queues.data["queues"])
    out: list[str] = []
    checks = [
        ("agents.yaml", lambda: _agents(docs["agents.yaml"], skills or set(), groups or set())),
        ("queues.yaml", lambda: _queues(docs["queues.yaml"], skills, groups)),
        ("vip.yaml", lambda: _vip(docs["vip.yaml"], queue_names, groups)),
    ]
    for name, rule in checks:
        if name in docs:
            # a malformed file stops its own rules; its schema errors say what is wrong
            with contextlib.suppress(KeyError, TypeError, AttributeError, ValueError):
                out += rule()
    return out
