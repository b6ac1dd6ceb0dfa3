"""The outreach policy on a risk tier change. Pure: the change, who the customer is and how
to reach them, their A/B arm and ``now`` in; one decision out (or None).

- high: a dialer callback (``callbacks``) due within ``callback_due_hours``, priority =
  score x value, unless one is already pending (``outreach:callback``);
- medium: a personalised email/SMS request to the outreach webhook (``outreach:message``);
- low: a promotion to the same webhook, ``kind: promotion`` (``outreach:promotion``).

A customer's first score counts as a change from no tier, except a first ``low`` (nothing
happened). Control-arm customers are recorded (``control-not-contacted``), never contacted;
customers who refuse proactive contact are recorded as ``skipped-contact-opt-out``.
Customers who opted out of prediction never get here (no score at all).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.profiles.risk.config import Outreach
from engine.profiles.risk.score import Score

HOUR = 3600.0
KINDS = {"high": "callback", "medium": "message", "low": "promotion"}
CAMPAIGN = "risk-high"


@dataclass(frozen=True)
class Contact:
    customer_id: str
    name: str = ""
    language: str | None = None
    phone: str | None = None
    email: str | None = None
    contact_opt_out: bool = False
    value: float = 0.0  # lifetime value


@dataclass(frozen=True)
class Decision:
    kind: str  # callback | message | promotion
    outcome: str  # scheduled | queued | control-not-contacted...
    callback: Mapping[str, Any] | None = None  # a callbacks row
    webhook: Mapping[str, Any] | None = None  # the JSON body to POST
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def intervention_kind(self) -> str:
        return f"outreach:{self.kind}"


class _Keep(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def personalise(template: str, who: Contact, score: Score) -> str:
    top = next((r.description for r in score.reasons if r.contribution > 0), "")
    values = _Keep(name=who.name or "there", customer_id=who.customer_id, top_reason=top)
    try:
        return string.Formatter().vformat(template, (), values)
    except (ValueError, IndexError, AttributeError):
        return template


def _address(who: Contact, channels: tuple[str, ...]) -> tuple[str, str] | None:
    for channel in channels:
        to = who.email if channel == "email" else who.phone
        if to:
            return channel, to
    return None


def decide(
    old_tier: str | None,
    score: Score,
    who: Contact,
    arm: str,
    pending_callback: bool,
    now: float,
    due_hours: float,
    policy: Outreach,
) -> Decision | None:
    """What to do now that the customer's tier went from ``old_tier`` to ``score.tier``."""
    if old_tier == score.tier or (old_tier is None and score.tier == "low"):
        return None
    kind = KINDS[score.tier]
    if kind == "callback" and pending_callback:
        return None
    if who.contact_opt_out:
        return Decision(kind, "skipped-contact-opt-out")
    if arm != "treatment":
        return Decision(kind, "control-not-contacted")
    reasons = [
        {"tag": r.tag, "description": r.description} for r in score.reasons if r.contribution > 0
    ][:3]
    if kind == "callback":
        if not who.phone:
            return Decision(kind, "skipped-no-phone")
        value = max(who.value, 1.0)
        due = now + due_hours * HOUR
        return Decision(
            kind,
            "scheduled",
            callback={
                "customer_id": who.customer_id,
                "number": who.phone,
                "score": score.score,
                "value": round(value, 2),
                "priority": round(score.score * value, 4),
                "reason": "; ".join(r["description"] for r in reasons) or "high churn risk",
                "created_at": now,
                "due_at": due,
                "status": "pending",
                "campaign": CAMPAIGN,
                "updated_at": now,
            },
            details={"due_at": due, "score": score.score},
        )
    address = _address(who, policy.channels)
    if address is None:
        return Decision(kind, "skipped-no-address")
    template = policy.medium_message if kind == "message" else policy.low_message
    body: dict[str, Any] = {
        "kind": "outreach" if kind == "message" else "promotion",
        "customer_id": who.customer_id,
        "tier": score.tier,
        "previous_tier": old_tier,
        "score": score.score,
        "channel": address[0],
        "to": address[1],
        "name": who.name,
        "language": who.language,
        "message": personalise(template, who, score),
        "reasons": reasons,
        "at": now,
    }
    if kind == "promotion":
        body["offer"] = dict(policy.low_offer)
    return Decision(
        kind, "queued", webhook=body, details={"channel": address[0], "score": score.score}
    )
