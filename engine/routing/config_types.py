"""The routing configuration as plain frozen dataclasses (built by ``config.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Strategy = Literal["best-skill", "longest-idle"]
STRATEGIES: tuple[str, ...] = ("best-skill", "longest-idle")


@dataclass(frozen=True)
class Agent:
    id: str
    name: str
    endpoint: str  # dial string: "PJSIP/1001", "Local/1001@sim-agents"
    languages: tuple[str, ...]
    skills: Mapping[str, int]  # skill -> proficiency 1..5
    groups: tuple[str, ...] = ()
    auto_login: bool = False


@dataclass(frozen=True)
class Step:
    """An escalation step: applies once a call has waited ``after`` seconds.

    Steps are cumulative: each one widens what the previous ones allowed.
    """

    after: float
    min_proficiency: int | None = None  # lower the minimum of every required skill
    widen_groups: tuple[str, ...] = ()  # also accept agents of these groups (skills apply)
    general_groups: tuple[str, ...] = ()  # accept these groups' agents without the skills
    knowledge_hint: bool = False  # send agents lacking the skills a KB answer
    overflow: str | None = None  # move the call to this queue
    callback: bool = False  # offer the caller a callback


@dataclass(frozen=True)
class Queue:
    name: str
    skills: tuple[tuple[str, int], ...] = ()  # (skill, min proficiency); the first ranks
    groups: tuple[str, ...] = ()  # only these groups (empty: any group)
    language: str | None = None  # language when the call has none
    priority: float = 0.0  # base priority (seconds of waiting)
    strategy: Strategy = "best-skill"
    sl_percent: float = 80.0  # service level: percent answered ...
    sl_seconds: float = 20.0  # ... within this many seconds
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Tier:
    """A VIP tier: how a caller qualifies and what the call gets."""

    name: str
    value_percentile: float | None = None  # qualifies at or above this percentile
    risk_tiers: tuple[str, ...] = ()  # ... or with one of these churn-risk tiers
    flags: tuple[str, ...] = ()  # ... or with one of these caller flags
    priority_boost: float = 0.0  # seconds of waiting credited up front
    group: str | None = None  # only this group's agents, until max_wait
    max_wait: float | None = None  # seconds before the group restriction ends
    overflow: str | None = None  # queue to move to after max_wait


@dataclass(frozen=True)
class RoutingConfig:
    agents: Mapping[str, Agent]
    queues: Mapping[str, Queue]
    tiers: tuple[Tier, ...] = ()
    skills: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    default_language: str = "en"
    fallback_queue: str = "general"
    aging: float = 1.0  # priority points per second of waiting
    churn_boost: Mapping[str, float] = field(default_factory=dict)  # risk tier -> boost
    knowledge: Mapping[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)
    version: str = ""

    def tier(self, name: str | None) -> Tier | None:
        return next((t for t in self.tiers if t.name == name), None) if name else None
