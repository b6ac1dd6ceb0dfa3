"""Next best action for the agent who takes a call, by rules (``skills/next-best-action.yaml``).
Pure: what we know about the caller and the call in, one recommendation out.

    rules:                          # first match wins
      - name: express-refund
        when:                       # every condition optional; all must hold
          topics: [refund]          # the call's topic (IVR or speech intent)
          moods: [agitated, angry]  # the caller's mood (emotion scoring or complaint words)
          risk_tiers: [high, medium]
          vip_tiers: [platinum]
          stages: [declining]       # lifecycle stage
          tags: [unresolved-complaint]   # any of these risk tags
          min_open_tickets: 1
          worked: [coupon]          # offers accepted before (interventions, positive outcome)
        action:
          title: Express refund
          steps: [Skip routine checks, Refund at once, Offer a compensation coupon]
          offer: {kind: coupon, value: 20}
    default:
      title: Listen and resolve
      steps: [Confirm the issue, Resolve on this call]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.profiles import ruleset
from engine.profiles.ruleset import RuleFileError
from engine.skills.loader import Doc

NAMES = {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
ACTION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "steps"],
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "steps": {"type": "array", "items": {"type": "string"}},
        "offer": {"type": "object"},
        "script": {"type": "string"},
    },
}
CONDITIONS = ("topics", "moods", "risk_tiers", "vip_tiers", "stages", "tags", "worked")
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["rules", "default"],
    "properties": {
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "action"],
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"},
                    "when": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            **{c: NAMES for c in CONDITIONS},
                            "min_open_tickets": {"type": "integer", "minimum": 0},
                        },
                    },
                    "action": ACTION,
                },
            },
        },
        "default": ACTION,
    },
}


@dataclass(frozen=True)
class Action:
    title: str
    steps: tuple[str, ...]
    offer: Mapping[str, Any] = field(default_factory=dict)
    script: str = ""


@dataclass(frozen=True)
class NbaRule:
    name: str
    action: Action
    sets: Mapping[str, frozenset[str]] = field(default_factory=dict)
    min_open_tickets: int | None = None


@dataclass(frozen=True)
class NbaRules:
    rules: tuple[NbaRule, ...]
    default: Action


@dataclass(frozen=True)
class Situation:
    """What the rules look at when a call reaches an agent."""

    topic: str | None = None
    mood: str | None = None
    risk_tier: str | None = None
    vip_tier: str | None = None
    stage: str | None = None
    tags: frozenset[str] = frozenset()
    open_tickets: int = 0
    worked: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Recommendation:
    rule: str | None  # None: the default action
    action: Action
    because: tuple[str, ...]  # the conditions that matched, for the agent

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "title": self.action.title,
            "steps": list(self.action.steps),
            "offer": dict(self.action.offer),
            "script": self.action.script,
            "because": list(self.because),
        }


def _action(raw: dict[str, Any]) -> Action:
    return Action(
        raw["title"],
        tuple(raw.get("steps") or ()),
        dict(raw.get("offer") or {}),
        raw.get("script", ""),
    )


def build(doc: Doc) -> NbaRules:
    rules, seen, issues = [], set(), []
    for i, raw in enumerate(doc.data["rules"]):
        if raw["name"] in seen:
            issues.append(f"{doc.mark(['rules', i, 'name'])}: duplicate name {raw['name']!r}")
        seen.add(raw["name"])
        when = raw.get("when") or {}
        rules.append(
            NbaRule(
                raw["name"],
                _action(raw["action"]),
                {c: frozenset(when[c]) for c in CONDITIONS if c in when},
                when.get("min_open_tickets"),
            )
        )
    if issues:
        raise RuleFileError(issues)
    return NbaRules(tuple(rules), _action(doc.data["default"]))


def parse(text: str, path: str = "next-best-action.yaml") -> NbaRules:
    return ruleset.parse(text, path, SCHEMA, build)


def load(path: str | Path) -> NbaRules:
    return ruleset.load(path, SCHEMA, build)


def _explain(rule: NbaRule, s: Situation) -> tuple[str, ...] | None:
    """The matched conditions as words, or None when the rule does not match."""
    single = {
        "topics": s.topic,
        "moods": s.mood,
        "risk_tiers": s.risk_tier,
        "vip_tiers": s.vip_tier,
        "stages": s.stage,
    }
    many = {"tags": s.tags, "worked": s.worked}
    because = []
    for cond, wanted in rule.sets.items():
        if cond in single:
            if single[cond] not in wanted:
                return None
            because.append(f"{cond[:-1].replace('_', ' ')}: {single[cond]}")
        else:
            hit = sorted(many[cond] & wanted)
            if not hit:
                return None
            because.append(f"{cond}: {', '.join(hit)}")
    if rule.min_open_tickets is not None:
        if s.open_tickets < rule.min_open_tickets:
            return None
        because.append(f"open tickets: {s.open_tickets}")
    return tuple(because)


def recommend(rules: NbaRules, situation: Situation) -> Recommendation:
    for rule in rules.rules:
        because = _explain(rule, situation)
        if because is not None:
            return Recommendation(rule.name, rule.action, because)
    return Recommendation(None, rules.default, ())


# The rules while skills/next-best-action.yaml does not exist.
NO_NBA = NbaRules((), Action("Listen and resolve", ()))
