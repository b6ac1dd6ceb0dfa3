"""``skills/listening.yaml``: the listening budget's policy, built from the checked
document (JSON Schema ``engine/skills/schemas/listening.schema.json``). No file, an
empty file or a missing key: the defaults of ``engine.speech.admission.Policy``."""

from __future__ import annotations

from typing import Any

from engine.skills import loader
from engine.skills.loader import Doc, SkillFileError
from engine.speech.admission import Policy, Rule

FILE = "listening.yaml"
DEFAULT = Policy()


def parse(data: Any, source: str) -> Policy:
    data = data or {}
    agitated = data.get("agitated") or {}
    names: set[str] = set()
    rules: list[Rule] = []
    for n, raw in enumerate(data.get("priorities") or ()):
        name = str(raw["name"])
        if name in names:
            raise SkillFileError(f"{source}: priorities.{n}.name: {name!r} is used twice")
        names.add(name)
        vip = raw.get("vip")
        rules.append(
            Rule(
                name,
                frozenset(raw["legs"]),
                vip=vip if vip is None or isinstance(vip, bool) else frozenset(map(str, vip)),
                risk=frozenset(raw["risk"]) if "risk" in raw else None,
                agitated=raw.get("agitated"),
            )
        )
    return Policy(
        rules=tuple(rules) or DEFAULT.rules,
        ivr_always=bool(data.get("ivr_always", DEFAULT.ivr_always)),
        agitated_labels=frozenset(agitated.get("labels", DEFAULT.agitated_labels)),
        agitated_score=agitated.get("score", DEFAULT.agitated_score),
    )


def build(doc: Doc) -> Policy:
    try:
        return parse(doc.data, doc.path)
    except SkillFileError as exc:
        raise SkillFileError(loader.positioned(doc, exc.issues[0])) from None
