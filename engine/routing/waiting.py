"""One engine's own waiting calls, and the escalation timeline they walk through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.calls.ports import Offer, RouteRequest
from engine.routing import plan
from engine.routing.config_types import RoutingConfig
from engine.routing.store import Reserved
from engine.routing.sync import language_for


@dataclass
class Waiting:
    request: RouteRequest
    queue: str
    language: str
    tier: str  # tier name, or "-"
    risk: str  # churn-risk class, or "-"
    queued_at: float = 0.0
    steps_done: int = 0  # escalation steps of ``queue`` already acted upon
    tier_done: bool = False  # the VIP tier's max wait has passed

    @property
    def base(self) -> str:
        return f"{self.queue}|{self.language}|{self.tier}|{self.risk}"

    def catch_up(self, config: RoutingConfig, now: float) -> None:
        """Mark steps already behind this call as done without acting on them (used after a
        restart, an overflow or a reload, so nothing fires twice or retroactively)."""
        wait = now - self.queued_at
        self.steps_done = sum(1 for s in config.queues[self.queue].steps if s.after <= wait)
        tier = config.tier(self.tier)
        self.tier_done = bool(tier and tier.max_wait is not None and wait >= tier.max_wait)


def classify(config: RoutingConfig, request: RouteRequest, queue: str | None = None) -> Waiting:
    name = queue or request.queue
    if name not in config.queues:
        name = config.fallback_queue
    tier, risk = plan.classify(config, request.caller)
    return Waiting(
        request, name, language_for(config, request, name), tier.name if tier else "-", risk
    )


def due_actions(config: RoutingConfig, w: Waiting, now: float) -> list[tuple[str, Any]]:
    """Timeline actions that became due: ("callback", step) / ("overflow", queue) /
    ("widen", None). Marks them done."""
    out: list[tuple[str, Any]] = []
    wait = now - w.queued_at
    steps = config.queues[w.queue].steps
    while w.steps_done < len(steps) and steps[w.steps_done].after <= wait:
        step = steps[w.steps_done]
        w.steps_done += 1
        out.append(("widen", None))
        if step.callback:
            out.append(("callback", step.after))
        if step.overflow:
            out.append(("overflow", step.overflow))
            return out
    tier = config.tier(w.tier)
    if tier and tier.max_wait is not None and not w.tier_done and wait >= tier.max_wait:
        w.tier_done = True
        out.append(("overflow", tier.overflow) if tier.overflow else ("widen", None))
    return out


def hints(config: RoutingConfig, r: Reserved, now: float) -> tuple[dict[str, Any], ...]:
    """What the agent sees with the offer: the VIP tier, and a knowledge-base answer when
    they take the call only thanks to an escalation step that asks for one."""
    out: list[dict[str, Any]] = []
    queue, agent = config.queues.get(r.queue), config.agents.get(r.agent_id)
    tier = config.tier(r.tier)
    if tier is not None:
        out.append({"kind": "vip", "tier": tier.name})
    if queue is None or agent is None:
        return tuple(out)
    needs = plan.needs_at(queue, tier, now - r.queued_at)
    base = plan.needs_at(queue, None, 0.0)
    lacks_skills = not all(agent.skills.get(s, 0) >= m for s, m in base.skills)
    if needs.hint and lacks_skills and r.topic:
        article = config.knowledge.get((r.topic, r.language)) or config.knowledge.get(
            (r.topic, config.default_language)
        )
        if article:
            out.append(
                {"kind": "knowledge-base", "topic": r.topic, "language": r.language, **article}
            )
    return tuple(out)


def offer_dict(offer: Offer) -> dict[str, Any]:
    return {
        "call_id": offer.call_id,
        "agent_id": offer.agent_id,
        "endpoint": offer.endpoint,
        "hints": list(offer.hints),
    }


def offer_from(data: dict[str, Any]) -> Offer:
    return Offer(
        str(data["call_id"]),
        str(data["agent_id"]),
        str(data["endpoint"]),
        tuple(data.get("hints") or ()),
    )
