"""Cross-sell and up-sell suggestions by rules (``skills/offers.yaml``), and the loyalty
scheme (levels, which are VIP). Pure: a customer's facts in, suggestions out.

    loyalty:
      levels: [basic, silver, gold, platinum]    # lowest first
      vip_levels: [platinum]                      # flagged ``vip`` for routing tiers
    offers:
      - name: basic-to-advanced
        kind: up-sell                             # up-sell | cross-sell | loyalty
        when:
          owns: [basic-plan]                      # all of these products
          not_owns: [advanced-plan]               # none of these
          stages: [growing, mature]               # lifecycle stages (any)
          min_percentile: 50                      # spend percentile at least
          min_loyalty: silver                     # loyalty level at least
          min_points: 1000                        # loyalty points at least
          topics: [technical]                     # the contact's topic (any)
        offer: {product: advanced-plan, pitch: "..."}

Every condition is optional; a rule matches when all its conditions hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.profiles import ruleset
from engine.profiles.ruleset import RuleFileError
from engine.profiles.value import LoyaltyScheme
from engine.skills.loader import Doc

NAME = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"}
NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}}
STAGES = {"type": "array", "items": {"enum": ["new", "growing", "mature", "declining"]}}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["offers"],
    "properties": {
        "loyalty": {
            "type": "object",
            "additionalProperties": False,
            "required": ["levels"],
            "properties": {"levels": {**NAMES, "minItems": 1}, "vip_levels": NAMES},
        },
        "offers": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "kind", "offer"],
                "properties": {
                    "name": NAME,
                    "kind": {"enum": ["up-sell", "cross-sell", "loyalty"]},
                    "when": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "owns": NAMES,
                            "not_owns": NAMES,
                            "stages": STAGES,
                            "topics": NAMES,
                            "min_percentile": {"type": "number", "minimum": 0, "maximum": 100},
                            "min_loyalty": {"type": "string"},
                            "min_points": {"type": "integer", "minimum": 0},
                        },
                    },
                    "offer": {
                        "type": "object",
                        "required": ["product"],
                        "properties": {
                            "product": {"type": "string", "minLength": 1},
                            "pitch": {"type": "string"},
                        },
                    },
                },
            },
        },
    },
}


@dataclass(frozen=True)
class OfferRule:
    name: str
    kind: str
    offer: dict[str, Any]
    owns: frozenset[str] = frozenset()
    not_owns: frozenset[str] = frozenset()
    stages: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    min_percentile: float | None = None
    min_loyalty: str | None = None
    min_points: int | None = None


@dataclass(frozen=True)
class OfferRules:
    rules: tuple[OfferRule, ...]
    loyalty: LoyaltyScheme = field(default_factory=LoyaltyScheme)


@dataclass(frozen=True)
class Facts:
    """What the offer rules look at."""

    products: frozenset[str] = frozenset()
    stage: str | None = None
    percentile: float | None = None
    loyalty_level: str | None = None
    loyalty_points: int = 0
    topic: str | None = None


@dataclass(frozen=True)
class Suggestion:
    rule: str
    kind: str
    product: str
    pitch: str


def build(doc: Doc) -> OfferRules:
    data = doc.data
    raw_loyalty = data.get("loyalty") or {}
    scheme = (
        LoyaltyScheme(tuple(raw_loyalty["levels"]), frozenset(raw_loyalty.get("vip_levels") or ()))
        if raw_loyalty
        else LoyaltyScheme()
    )
    issues: list[str] = []
    for level in scheme.vip_levels - set(scheme.levels):
        issues.append(f"{doc.mark(['loyalty', 'vip_levels'])}: unknown level {level!r}")
    rules, seen = [], set()
    for i, raw in enumerate(data["offers"]):
        when = raw.get("when") or {}
        if raw["name"] in seen:
            issues.append(f"{doc.mark(['offers', i, 'name'])}: duplicate name {raw['name']!r}")
        seen.add(raw["name"])
        if when.get("min_loyalty") is not None and when["min_loyalty"] not in scheme.levels:
            issues.append(
                f"{doc.mark(['offers', i, 'when', 'min_loyalty'])}: unknown "
                f"loyalty level {when['min_loyalty']!r} (levels: "
                f"{', '.join(scheme.levels)})"
            )
        rules.append(
            OfferRule(
                name=raw["name"],
                kind=raw["kind"],
                offer=dict(raw["offer"]),
                owns=frozenset(when.get("owns") or ()),
                not_owns=frozenset(when.get("not_owns") or ()),
                stages=frozenset(when.get("stages") or ()),
                topics=frozenset(when.get("topics") or ()),
                min_percentile=when.get("min_percentile"),
                min_loyalty=when.get("min_loyalty"),
                min_points=when.get("min_points"),
            )
        )
    if issues:
        raise RuleFileError(issues)
    return OfferRules(tuple(rules), scheme)


def parse(text: str, path: str = "offers.yaml") -> OfferRules:
    return ruleset.parse(text, path, SCHEMA, build)


def load(path: str | Path) -> OfferRules:
    return ruleset.load(path, SCHEMA, build)


def _matches(rule: OfferRule, facts: Facts, scheme: LoyaltyScheme) -> bool:
    checks = (
        rule.owns <= facts.products,
        not (rule.not_owns & facts.products),
        not rule.stages or facts.stage in rule.stages,
        not rule.topics or facts.topic in rule.topics,
        rule.min_percentile is None
        or (facts.percentile is not None and facts.percentile >= rule.min_percentile),
        rule.min_loyalty is None
        or scheme.rank(facts.loyalty_level) >= scheme.rank(rule.min_loyalty),
        rule.min_points is None or facts.loyalty_points >= rule.min_points,
    )
    return all(checks)


def suggest(rules: OfferRules, facts: Facts) -> list[Suggestion]:
    """Every matching rule's offer, in file order, without offering a product twice or
    one the customer already owns."""
    out: list[Suggestion] = []
    offered: set[str] = set()
    for rule in rules.rules:
        product = str(rule.offer["product"])
        if product in offered or product in facts.products:
            continue
        if _matches(rule, facts, rules.loyalty):
            offered.add(product)
            out.append(Suggestion(rule.name, rule.kind, product, str(rule.offer.get("pitch", ""))))
    return out


def products_of(orders: Iterable[Any]) -> frozenset[str]:
    return frozenset(
        o.product
        for o in orders
        if getattr(o, "product", "") and o.status not in ("refunded", "cancelled")
    )
