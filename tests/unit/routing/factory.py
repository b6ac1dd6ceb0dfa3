"""Small routing configurations for tests, built the way ``config.build`` builds them."""

from __future__ import annotations

from typing import Any

from engine.routing.config import build
from engine.routing.config_types import RoutingConfig

AGENTS = [
    {
        "id": "tech5",
        "endpoint": "PJSIP/tech5",
        "languages": ["en"],
        "skills": {"technical": 5},
        "groups": ["technical"],
    },
    {
        "id": "tech3",
        "endpoint": "PJSIP/tech3",
        "languages": ["en"],
        "skills": {"technical": 3},
        "groups": ["technical"],
    },
    {
        "id": "tech2",
        "endpoint": "PJSIP/tech2",
        "languages": ["en"],
        "skills": {"technical": 2},
        "groups": ["technical"],
    },
    {
        "id": "gen",
        "endpoint": "PJSIP/gen",
        "languages": ["en"],
        "skills": {"general": 4},
        "groups": ["general"],
    },
    {
        "id": "zh",
        "endpoint": "PJSIP/zh",
        "languages": ["zh"],
        "skills": {"technical": 5, "general": 3},
        "groups": ["technical"],
    },
    {
        "id": "plat",
        "endpoint": "PJSIP/plat",
        "languages": ["en", "zh"],
        "skills": {"technical": 4, "general": 5},
        "groups": ["platinum"],
    },
]

QUEUES: dict[str, Any] = {
    "general": {"skills": {"general": 1}, "escalation": [{"after": 180, "callback": True}]},
    "technical": {
        "skills": {"technical": 3},
        "priority": 10,
        "escalation": [
            {"after": 30, "min_proficiency": 2},
            {"after": 60, "general_groups": ["general"], "knowledge_hint": True},
            {"after": 300, "overflow": "general"},
        ],
    },
    "vip": {
        "groups": ["platinum"],
        "priority": 60,
        "escalation": [{"after": 120, "overflow": "general"}],
    },
}

VIP: dict[str, Any] = {
    "aging": 1.0,
    "churn_boost": {"high": 40, "medium": 15},
    "tiers": [
        {
            "name": "platinum",
            "qualify": {"value_percentile": 95, "flags": ["vip"]},
            "priority_boost": 300,
            "group": "platinum",
            "max_wait": 120,
        },
        {"name": "at-risk", "qualify": {"risk_tiers": ["high"]}, "priority_boost": 60},
    ],
}

KB = {"topics": {"technical": {"en": {"title": "Restart", "text": "Restart the router."}}}}


def make_config(
    agents: list[dict[str, Any]] | None = None,
    queues: dict[str, Any] | None = None,
    vip: dict[str, Any] | None = None,
    **defaults: Any,
) -> RoutingConfig:
    return build(
        {
            "agents.yaml": {
                "skills": ["technical", "general", "billing"],
                "groups": ["technical", "general", "platinum", "billing"],
                "agents": AGENTS if agents is None else agents,
            },
            "queues.yaml": {
                "defaults": {"language": "en", **defaults},
                "queues": QUEUES if queues is None else queues,
            },
            "vip.yaml": VIP if vip is None else vip,
            "knowledge-base.yaml": KB,
        },
        version="test",
    )
