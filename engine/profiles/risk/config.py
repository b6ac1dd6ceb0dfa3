"""``skills/risk-tags.yaml``: the risk tags, the default score, the tiers and the outreach
messages. Checked against a JSON Schema and cross-checks, every problem reported as
``file:line:column: reason``; loaded through ``ruleset.LiveRules`` (a broken edit is refused
and the last good file stays live).

    tiers: {high: 0.5, medium: 0.15}       # score at least -> tier; below medium: low
    intercept: -3.0                        # default model until `risk train` learns one
    complaint_words: complaint-words.yaml  # next to this file; words found in transcripts
    tags:
      - name: tickets-unresolved
        rule: open-tickets                 # one of tags.RULES, with its parameters
        count: 3
        weight: 3.2                        # log-odds the tag adds (default model)
        description: "{open} unresolved tickets"
    outreach:
      channels: [email, sms]               # medium: first the customer can be reached on
      medium: {message: "..."}             # {name} and the tags' descriptions: {reasons}
      low: {message: "...", offer: {kind: discount, value: 10}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.profiles import ruleset
from engine.profiles.risk.tags import RULES, Tag
from engine.profiles.ruleset import RuleFileError
from engine.skills.loader import Doc

NUM = {"type": "number"}
POS = {"type": "number", "exclusiveMinimum": 0}
COUNT = {"type": "integer", "minimum": 1}
STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}
PARAMS: dict[str, Any] = {
    "days": POS,
    "within_days": POS,
    "window_days": POS,
    "older_than_days": {"type": "number", "minimum": 0},
    "count": COUNT,
    "min_orders": COUNT,
    "min_count": COUNT,
    "min_words": COUNT,
    "max_stars": {"type": "integer", "minimum": 1, "maximum": 5},
    "drop": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    "min_score": {"type": "number", "minimum": 0, "maximum": 1},
    "kinds": STRINGS,
    "labels": STRINGS,
    "outcomes": STRINGS,
    "kind_prefix": {"type": "string"},
}
COMMON = {
    "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"},
    "rule": {"enum": sorted(RULES)},
    "weight": NUM,
    "description": {"type": "string"},
}
UNIT = {"type": "number", "minimum": 0, "maximum": 1}
MESSAGE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["message"],
    "properties": {"message": {"type": "string", "minLength": 1}, "offer": {"type": "object"}},
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["tags"],
    "properties": {
        "tiers": {
            "type": "object",
            "additionalProperties": False,
            "required": ["high", "medium"],
            "properties": {"high": UNIT, "medium": UNIT},
        },
        "intercept": NUM,
        "complaint_words": {"type": "string", "minLength": 1},
        "tags": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "rule", "weight"],
                "properties": {**COMMON, **PARAMS},
            },
        },
        "outreach": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "channels": {"type": "array", "minItems": 1, "items": {"enum": ["email", "sms"]}},
                "medium": MESSAGE,
                "low": MESSAGE,
            },
        },
    },
}
DEFAULT_MEDIUM = (
    "Hello {name}, we would like to make sure everything is fine. Reply or "
    "call us and we will sort it out."
)
DEFAULT_LOW = "Hello {name}, a little thank-you for staying with us."


@dataclass(frozen=True)
class Tiers:
    high: float = 0.5
    medium: float = 0.15

    def of(self, score: float) -> str:
        return "high" if score >= self.high else "medium" if score >= self.medium else "low"


@dataclass(frozen=True)
class Outreach:
    channels: tuple[str, ...] = ("email", "sms")
    medium_message: str = DEFAULT_MEDIUM
    low_message: str = DEFAULT_LOW
    low_offer: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RiskConfig:
    tags: tuple[Tag, ...] = ()
    tiers: Tiers = Tiers()
    intercept: float = -3.0
    words: tuple[str, ...] = ()  # complaint words, lower case
    outreach: Outreach = Outreach()

    @property
    def tag_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tags)


def read_words(path: Path) -> tuple[str, ...]:
    """Every word of a complaint-words file (``lang: {word: weight}``), lower case."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, Mapping):
        raise ValueError("expected a mapping of language -> {word: weight}")
    words = set()
    for entries in data.values():
        if isinstance(entries, Mapping | list):
            words |= {str(w).lower() for w in entries}
    return tuple(sorted(words))


def _tag(doc: Doc, i: int, raw: Mapping[str, Any], issues: list[str]) -> Tag:
    _, defaults = RULES[raw["rule"]]
    for key in raw:
        if key not in COMMON and key not in defaults:
            issues.append(
                f"{doc.mark(['tags', i, key], key=True)}: {key!r} is not a "
                f"parameter of rule {raw['rule']!r} (it takes "
                f"{', '.join(sorted(defaults))})"
            )
    params = {k: raw.get(k, v) for k, v in defaults.items()}
    return Tag(
        raw["name"],
        raw["rule"],
        float(raw["weight"]),
        str(raw.get("description") or raw["name"]),
        params,
    )


def build(doc: Doc) -> RiskConfig:
    data, issues = doc.data, []
    tags, seen = [], set()
    for i, raw in enumerate(data.get("tags") or []):
        if raw["name"] in seen:
            issues.append(f"{doc.mark(['tags', i, 'name'])}: tag {raw['name']!r} given twice")
        seen.add(raw["name"])
        tags.append(_tag(doc, i, raw, issues))
    t = data.get("tiers") or {}
    tiers = Tiers(float(t.get("high", Tiers.high)), float(t.get("medium", Tiers.medium)))
    if tiers.medium >= tiers.high:
        issues.append(
            f"{doc.mark(['tiers', 'medium'])}: medium ({tiers.medium}) must be "
            f"below high ({tiers.high})"
        )
    words: tuple[str, ...] = ()
    if data.get("complaint_words"):
        path = Path(doc.path).parent / data["complaint_words"]
        try:
            words = read_words(path)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            issues.append(
                f"{doc.mark(['complaint_words'])}: cannot read {path}: "
                f"{getattr(exc, 'strerror', None) or exc}"
            )
    if issues:
        raise RuleFileError(issues)
    o = data.get("outreach") or {}
    outreach = Outreach(
        tuple(o.get("channels") or Outreach.channels),
        (o.get("medium") or {}).get("message", DEFAULT_MEDIUM),
        (o.get("low") or {}).get("message", DEFAULT_LOW),
        dict((o.get("low") or {}).get("offer") or {}),
    )
    return RiskConfig(tuple(tags), tiers, float(data.get("intercept", -3.0)), words, outreach)


def load(path: str | Path) -> RiskConfig:
    return ruleset.load(path, SCHEMA, build)


def parse(text: str, path: str = "risk-tags.yaml") -> RiskConfig:
    return ruleset.parse(text, path, SCHEMA, build)


def live(path: str | Path) -> ruleset.LiveRules[RiskConfig]:
    """The file as the engine uses it (a missing file: no tags, everyone low)."""
    return ruleset.LiveRules(path, SCHEMA, build, missing=RiskConfig())
