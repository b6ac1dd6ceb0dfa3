"""The screen pop: everything an agent should see when a call reaches them, assembled from
the desk card (``engine/calls/desk.py``) and the customer's profile. Pure: a card, a
``ProfileView`` read from the store, the rules and ``now`` in; one JSON-ready dict out.

What it holds: who is calling, VIP tier, value and lifecycle, risk with its reasons, the
orders of the last 90 days, open tickets, unfinished conversations from other channels with
their messages, the preferred service style, what worked last time (interventions with a
positive outcome), offers, and the next best action with why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.profiles.retention import nba, offers
from engine.profiles.retention.lifecycle import DAY, stage_of
from engine.profiles.value import Loyalty, Order, SpendRanking, lifetime_value

ORDER_DAYS = 90
POSITIVE = frozenset({"accepted", "retained", "resolved", "positive", "success"})
AGITATED_TAGS = frozenset({"complaint-words", "unresolved-complaint", "complaint"})


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    channel: str  # chat | email | messaging | phone
    status: str  # open | resolved
    started_at: float
    messages: Sequence[Mapping[str, Any]] = ()  # {at, from, text}


@dataclass(frozen=True)
class ProfileView:
    """What the store knows about one customer, as the screen pop needs it."""

    customer_id: str
    name: str = ""
    language: str | None = None
    preferred_style: str | None = None
    first_seen: float = 0.0
    loyalty: Loyalty = field(default_factory=Loyalty)
    orders: Sequence[Order] = ()
    tickets: Sequence[Mapping[str, Any]] = ()  # {id, kind, status, subject, opened_at}
    conversations: Sequence[Conversation] = ()
    interventions: Sequence[Mapping[str, Any]] = ()  # {kind, detail, outcome, at, by}
    risk: Mapping[str, Any] = field(default_factory=dict)  # {tier, score, reasons: [...]}


@dataclass(frozen=True)
class Rules:
    nba: nba.NbaRules
    offers: offers.OfferRules


def worked_before(interventions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Interventions with a positive outcome, newest first."""
    good = [dict(i) for i in interventions if str(i.get("outcome", "")).lower() in POSITIVE]
    return sorted(good, key=lambda i: i.get("at") or 0, reverse=True)


def worked_kinds(worked: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    """What kind of thing worked (``coupon``, ``callback``...): the offer kind if any."""
    kinds = set()
    for i in worked:
        detail: Mapping[str, Any] = i["detail"] if isinstance(i.get("detail"), Mapping) else {}
        offer: Mapping[str, Any] = (
            detail["offer"] if isinstance(detail.get("offer"), Mapping) else {}
        )
        kinds.add(str(offer.get("kind") or detail.get("kind") or i.get("kind") or ""))
    return frozenset(k for k in kinds if k)


def risk_tags(risk: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(
        str(r.get("tag") or r.get("name"))
        for r in risk.get("reasons") or ()
        if isinstance(r, Mapping)
    )


def mood_of(record: Mapping[str, Any], tags: frozenset[str]) -> str | None:
    """The caller's mood: the call's own (emotion scoring) when known, else agitated when
    the profile holds an open complaint or complaint words."""
    mood = record.get("mood") or record.get("emotion")
    if mood:
        return str(mood)
    return "agitated" if tags & AGITATED_TAGS else None


def _order(o: Order) -> dict[str, Any]:
    return asdict(o)


def assemble(
    card: Mapping[str, Any], profile: ProfileView, rules: Rules, ranking: SpendRanking, now: float
) -> dict[str, Any]:
    recent = sorted(
        (o for o in profile.orders if o.at >= now - ORDER_DAYS * DAY),
        key=lambda o: o.at,
        reverse=True,
    )
    ltv = lifetime_value(profile.orders)
    percentile = ranking.percentile(ltv)
    life = stage_of(profile.orders, profile.first_seen or now, now)
    open_tickets = [dict(t) for t in profile.tickets if t.get("status") != "resolved"]
    unfinished = [
        {
            "conversation_id": c.conversation_id,
            "channel": c.channel,
            "started_at": c.started_at,
            "messages": [dict(m) for m in c.messages],
        }
        for c in profile.conversations
        if c.status != "resolved" and c.channel != "phone"
    ]
    tags = risk_tags(profile.risk)
    worked = worked_before(profile.interventions)
    topic = card.get("topic")
    mood = mood_of(card, tags)
    situation = nba.Situation(
        topic=topic,
        mood=mood,
        risk_tier=profile.risk.get("tier") or card.get("risk_tier"),
        vip_tier=card.get("vip_tier"),
        stage=life.stage,
        tags=tags,
        open_tickets=len(open_tickets),
        worked=worked_kinds(worked),
    )
    facts = offers.Facts(
        products=offers.products_of(profile.orders),
        stage=life.stage,
        percentile=percentile,
        loyalty_level=profile.loyalty.level,
        loyalty_points=profile.loyalty.points,
        topic=topic,
    )
    return {
        "type": "screen-pop",
        "call_id": card.get("call_id"),
        "caller_number": card.get("caller_number"),
        "queue": card.get("queue"),
        "topic": topic,
        "mood": mood,
        "hints": list(card.get("hints") or ()),
        "customer": {
            "id": profile.customer_id,
            "name": profile.name or card.get("customer_name"),
            "language": profile.language,
            "vip_tier": card.get("vip_tier"),
            "preferred_style": profile.preferred_style,
            "lifetime_value": ltv,
            "value_percentile": percentile,
            "loyalty": {"level": profile.loyalty.level, "points": profile.loyalty.points},
            "stage": life.stage,
            "strategy": life.strategy,
        },
        "risk": {
            "tier": profile.risk.get("tier") or card.get("risk_tier"),
            "score": profile.risk.get("score", card.get("risk_score")),
            "reasons": list(profile.risk.get("reasons") or ()),
        },
        "orders": [_order(o) for o in recent],
        "open_tickets": open_tickets,
        "unfinished_conversations": unfinished,
        "worked_before": worked,
        "offers": [asdict(s) for s in offers.suggest(rules.offers, facts)],
        "next_best_action": nba.recommend(rules.nba, situation).as_dict(),
    }
