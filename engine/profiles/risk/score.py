"""The risk score: a logistic model over a customer's tags and a few features. Pure.

    score = 1 / (1 + exp(-(intercept + sum of term weight x term value)))

A term is a tag (value 1 when the tag holds), a numeric feature (standardised with the
mean and spread it was trained on) or a category level (``plan=basic``: 1 when it
matches). Until ``risk train`` has learned a model, the default one has only the tags,
with the weights of ``skills/risk-tags.yaml``. Every score carries its reasons: the tags
that hold (with their weight) and the features that push the score up, largest first.

The learned model is a JSON file (setting ``risk_model_path``): ``load`` and ``save``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from engine.profiles.risk.config import RiskConfig, Tiers

Kind = Literal["tag", "numeric", "category"]
MIN_FEATURE_CONTRIBUTION = 0.1
LABELS = {
    "days_inactive": "Days since last activity",
    "open_tickets": "Open tickets",
    "orders_90d": "Orders in 90 days",
    "spend_90d": "Spend in 90 days",
    "inquiries_30d": "Inquiries in 30 days",
    "tenure_days": "Days as a customer",
    "loyalty_points": "Loyalty points",
}


class ModelError(ValueError):
    """A model file cannot be used; the message names the file and why."""


@dataclass(frozen=True)
class Term:
    name: str  # tag name, numeric feature, or "column=level"
    kind: Kind
    weight: float
    mean: float = 0.0
    std: float = 1.0


@dataclass(frozen=True)
class Model:
    intercept: float
    terms: tuple[Term, ...]
    version: str = "rules"
    source: str = "rules"  # rules | store | csv:<file>
    trained_at: float | None = None
    metrics: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reason:
    tag: str
    weight: float
    contribution: float
    description: str


@dataclass(frozen=True)
class Score:
    score: float
    tier: str  # high | medium | low
    reasons: tuple[Reason, ...]
    model: str

    def reasons_json(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.reasons]


def default_model(config: RiskConfig) -> Model:
    """The tags with the weights of the YAML file: the score until a model is trained."""
    return Model(config.intercept, tuple(Term(t.name, "tag", t.weight) for t in config.tags))


def _value(term: Term, tags: Mapping[str, str], features: Mapping[str, Any]) -> float:
    if term.kind == "tag":
        if term.name in tags:
            return 1.0
        raw = features.get(term.name)
        return float(raw) if isinstance(raw, int | float) else 0.0
    if term.kind == "category":
        column, _, level = term.name.partition("=")
        return 1.0 if str(features.get(column, "")) == level else 0.0
    raw = features.get(term.name)
    if not isinstance(raw, int | float) or isinstance(raw, bool):
        return 0.0  # unknown: the training mean
    return (float(raw) - term.mean) / (term.std or 1.0)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= -500 else 0.0


def score(
    tags: Mapping[str, str], features: Mapping[str, Any], model: Model, tiers: Tiers
) -> Score:
    """Score of one customer: ``tags`` (name -> description, as ``tags.evaluate`` gives),
    ``features`` (``facts.features_of``), the model and the tier thresholds."""
    z = model.intercept
    reasons: list[Reason] = []
    weights = {}
    for term in model.terms:
        contribution = term.weight * _value(term, tags, features)
        z += contribution
        if term.kind == "tag":
            weights[term.name] = term.weight
        elif contribution >= MIN_FEATURE_CONTRIBUTION:
            raw = features.get(
                term.name.partition("=")[0] if term.kind == "category" else term.name
            )
            label = LABELS.get(term.name, term.name)
            if term.kind == "numeric" and isinstance(raw, int | float):
                text = f"{label}: {round(raw, 1):g} (typical {round(term.mean, 1):g})"
            else:
                text = label.replace("=", ": ", 1)
            reasons.append(Reason(term.name, round(term.weight, 4), round(contribution, 4), text))
    for name, description in tags.items():
        w = weights.get(name, 0.0)
        reasons.append(Reason(name, round(w, 4), round(w, 4), description))
    reasons.sort(key=lambda r: -r.contribution)
    s = _sigmoid(z)
    return Score(round(s, 4), tiers.of(s), tuple(reasons), model.version)


# -- the model file ---------------------------------------------------------------------
def fingerprint(intercept: float, terms: Sequence[Term]) -> str:
    blob = json.dumps([intercept, [asdict(t) for t in terms]], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def to_json(model: Model) -> dict[str, Any]:
    return {
        "version": model.version,
        "source": model.source,
        "trained_at": model.trained_at,
        "intercept": model.intercept,
        "terms": [asdict(t) for t in model.terms],
        "metrics": dict(model.metrics),
    }


def save(model: Model, path: str | Path) -> None:
    """Write the model (atomically: readers never see half a file)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_text(json.dumps(to_json(model), indent=1), encoding="utf-8")
    os.replace(tmp, target)


def load(path: str | Path) -> Model | None:
    """The model in ``path``; None when there is no file. A broken file: ``ModelError``."""
    target = Path(path)
    if not target.exists():
        return None
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
        terms = tuple(
            Term(
                str(t["name"]),
                t["kind"],
                float(t["weight"]),
                float(t.get("mean", 0.0)),
                float(t.get("std", 1.0)) or 1.0,
            )
            for t in data["terms"]
        )
        bad = [t.name for t in terms if t.kind not in ("tag", "numeric", "category")]
        if bad:
            raise ValueError(f"unknown term kind for {bad[0]!r}")
        return Model(
            float(data["intercept"]),
            terms,
            str(data.get("version") or "trained"),
            str(data.get("source") or "trained"),
            data.get("trained_at"),
            dict(data.get("metrics") or {}),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"{target}: not a risk model: {exc}") from None
