"""Churn-risk tags: named rules over one customer's ``Facts`` as of ``now``. Pure.

Each tag of ``skills/risk-tags.yaml`` names a ``rule`` (below) with its parameters; a rule
answers None (the tag does not hold) or the details that fill the tag's description for
agents, e.g. ``"No interaction for {days_inactive} days"``. The parameters every rule
takes, with their defaults, are in ``RULES``; ``config.py`` reads and checks the file.

Rules (and when they hold):

- ``inactive``: no activity for ``days`` (customers known at least that long).
- ``open-tickets``: ``count`` or more open tickets of ``kinds`` (all kinds when empty),
  open for ``older_than_days``.
- ``low-ratings``: the last ``count`` ratings (within ``within_days``) are all
  ``max_stars`` or fewer.
- ``order-value-drop``: the mean order of the last ``window_days`` is ``drop`` (a share)
  or more below the mean of the window before (``min_orders`` in each).
- ``no-login-after-inquiry``: the last inquiry (within ``within_days``) is ``days`` old
  and no login came after it.
- ``inquiries-rising``: ``min_count`` or more inquiries in the last ``window_days``, more
  than in the window before, and nothing resolved since the first of them.
- ``complaint-words``: a call transcript within ``within_days`` holds ``min_words``
  complaint words (found by speech, or words of the ``complaint_words`` file).
- ``emotion``: a call's emotion within ``within_days`` scored ``min_score`` or more, or
  was labelled one of ``labels``.
- ``intervention``: an intervention whose kind starts with ``kind_prefix`` got an
  outcome in ``outcomes`` within ``within_days`` (e.g. an accepted offer).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.profiles.risk.facts import DAY, Facts

Details = dict[str, Any]
Rule = Callable[[Facts, Mapping[str, Any], float, tuple[str, ...]], Details | None]


@dataclass(frozen=True)
class Tag:
    name: str
    rule: str
    weight: float
    description: str
    params: Mapping[str, Any] = field(default_factory=dict)


def _days(seconds: float) -> int:
    return int(seconds // DAY)


def inactive(f: Facts, p: Mapping[str, Any], now: float, _w: tuple[str, ...]) -> Details | None:
    horizon = p["days"] * DAY
    since = f.last_activity if f.last_activity is not None else f.created_at
    if since is None or now - since < horizon:
        return None
    return {"days_inactive": _days(now - since)}


def open_tickets(f: Facts, p: Mapping[str, Any], now: float, _w: tuple[str, ...]) -> Details | None:
    kinds = set(p["kinds"])
    old = [
        t
        for t in f.tickets
        if (not kinds or t.kind in kinds) and now - t.opened_at >= p["older_than_days"] * DAY
    ]
    if len(old) < p["count"]:
        return None
    return {"open": len(old), "oldest_days": _days(now - old[0].opened_at)}


def low_ratings(f: Facts, p: Mapping[str, Any], now: float, _w: tuple[str, ...]) -> Details | None:
    recent = [s for t, s in f.ratings if now - t <= p["within_days"] * DAY][-p["count"] :]
    if len(recent) < p["count"] or any(s > p["max_stars"] for s in recent):
        return None
    return {"stars": "/".join(str(s) for s in recent)}


def order_value_drop(
    f: Facts, p: Mapping[str, Any], now: float, _w: tuple[str, ...]
) -> Details | None:
    w = p["window_days"] * DAY
    recent = [a for t, a in f.orders if now - w < t <= now]
    before = [a for t, a in f.orders if now - 2 * w < t <= now - w]
    if len(recent) < p["min_orders"] or len(before) < p["min_orders"] or not before:
        return None
    old_mean, new_mean = sum(before) / len(before), sum(recent) / max(len(recent), 1)
    if old_mean <= 0 or new_mean > old_mean * (1 - p["drop"]):
        return None
    return {
        "drop_pct": round(100 * (1 - new_mean / old_mean)),
        "recent_mean": round(new_mean, 2),
        "previous_mean": round(old_mean, 2),
    }


def no_login_after_inquiry(
    f: Facts, p: Mapping[str, Any], now: float, _w: tuple[str, ...]
) -> Details | None:
    asked = [t for t, _ in f.inquiries if now - t <= p["within_days"] * DAY]
    if not asked or now - asked[-1] < p["days"] * DAY:
        return None
    if any(t > asked[-1] for t in f.logins):
        return None
    return {"days_since_inquiry": _days(now - asked[-1])}


def inquiries_rising(
    f: Facts, p: Mapping[str, Any], now: float, _w: tuple[str, ...]
) -> Details | None:
    w = p["window_days"] * DAY
    recent = [t for t, _ in f.inquiries if now - t < w]
    before = [t for t, _ in f.inquiries if now - 2 * w <= t < now - w]
    if len(recent) < p["min_count"] or len(recent) <= len(before):
        return None
    if any(t >= recent[0] for t in f.resolutions):
        return None
    return {"inquiries": len(recent), "previous": len(before)}


def complaint_words(
    f: Facts, p: Mapping[str, Any], now: float, words: tuple[str, ...]
) -> Details | None:
    found: list[str] = []
    for t in f.transcripts:
        if now - t.at > p["within_days"] * DAY:
            continue
        hits = set(t.words) | {w for w in words if w and w in t.text.lower()}
        if len(hits) >= p["min_words"]:
            found.extend(sorted(hits - set(found)))
    return {"words": ", ".join(found[:5])} if found else None


def emotion(f: Facts, p: Mapping[str, Any], now: float, _w: tuple[str, ...]) -> Details | None:
    labels = set(p["labels"])
    hits = [
        (t, s, lab)
        for t, s, lab in f.emotions
        if now - t <= p["within_days"] * DAY and (s >= p["min_score"] or lab in labels)
    ]
    if not hits:
        return None
    _, s, lab = max(hits, key=lambda h: h[1])
    return {"emotion": lab or "agitated", "emotion_score": round(s, 2)}


def intervention(f: Facts, p: Mapping[str, Any], now: float, _w: tuple[str, ...]) -> Details | None:
    outcomes = set(p["outcomes"])
    hits = [
        (t, k, o)
        for t, k, o in f.interventions
        if o in outcomes and k.startswith(p["kind_prefix"]) and now - t <= p["within_days"] * DAY
    ]
    return {"outcome": hits[-1][2], "kind": hits[-1][1]} if hits else None


# rule -> (function, parameter defaults); a parameter without a default is required
RULES: dict[str, tuple[Rule, dict[str, Any]]] = {
    "inactive": (inactive, {"days": 30}),
    "open-tickets": (open_tickets, {"count": 1, "kinds": [], "older_than_days": 0}),
    "low-ratings": (low_ratings, {"count": 3, "max_stars": 3, "within_days": 365}),
    "order-value-drop": (order_value_drop, {"drop": 0.3, "window_days": 90, "min_orders": 1}),
    "no-login-after-inquiry": (no_login_after_inquiry, {"days": 7, "within_days": 60}),
    "inquiries-rising": (inquiries_rising, {"window_days": 30, "min_count": 2}),
    "complaint-words": (complaint_words, {"within_days": 30, "min_words": 1}),
    "emotion": (emotion, {"within_days": 14, "min_score": 0.5, "labels": ["agitated", "angry"]}),
    "intervention": (
        intervention,
        {"outcomes": ["accepted"], "kind_prefix": "", "within_days": 90},
    ),
}


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def describe(tag: Tag, details: Mapping[str, Any]) -> str:
    """The tag's description with its parameters and the rule's details filled in."""
    try:
        return string.Formatter().vformat(tag.description, (), _Blank({**tag.params, **details}))
    except (ValueError, IndexError, AttributeError):
        return tag.description


def evaluate(
    tags: Iterable[Tag], facts: Facts, now: float, words: tuple[str, ...] = ()
) -> dict[str, str]:
    """The tags that hold for ``facts`` as of ``now``: name -> description, in file order.
    ``words``: complaint words (lower case) looked for in transcripts."""
    out: dict[str, str] = {}
    for tag in tags:
        fn, _ = RULES[tag.rule]
        details = fn(facts, tag.params, now, words)
        if details is not None:
            out[tag.name] = describe(tag, details)
    return out
