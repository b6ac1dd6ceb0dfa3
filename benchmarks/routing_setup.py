"""A synthetic call center for benchmarks/routing.py: agents, queues, tiers, waiting calls."""

from __future__ import annotations

import random
from typing import Any

from engine.routing import plan
from engine.routing.board import BoardCall
from engine.routing.config import build

SKILLS = ["technical", "billing", "general", "sales", "network", "mobile"]
LANGUAGES = ["en", "zh", "es"]
GROUPS = ["general", "technical", "billing", "platinum"]


def _queues() -> dict[str, Any]:
    queues: dict[str, Any] = {}
    for i, skill in enumerate(SKILLS):
        queues[skill] = {
            "skills": {skill: 3},
            "priority": 5 * i,
            "strategy": "longest-idle" if i % 3 == 2 else "best-skill",
            "escalation": [
                {"after": 30, "min_proficiency": 2},
                {"after": 60, "general_groups": ["general"], "knowledge_hint": True},
                {"after": 240, "callback": True},
            ],
        }
    queues["vip"] = {
        "groups": ["platinum"],
        "priority": 60,
        "escalation": [{"after": 120, "overflow": "general"}],
    }
    return queues


def _agent(i: int, rng: random.Random) -> dict[str, Any]:
    langs = ["en"] if rng.random() < 0.6 else rng.sample(LANGUAGES, rng.randint(1, 2))
    skills = {s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(1, 3))}
    groups = [rng.choice(GROUPS[:3])] + (["platinum"] if rng.random() < 0.05 else [])
    return {
        "id": f"a{i:05d}",
        "endpoint": f"PJSIP/a{i:05d}",
        "languages": langs,
        "skills": skills,
        "groups": groups,
    }


def make_world(n_agents: int, n_calls: int, rng: random.Random) -> dict[str, Any]:
    config = build(
        {
            "agents.yaml": {
                "skills": SKILLS,
                "groups": GROUPS,
                "agents": [_agent(i, rng) for i in range(n_agents)],
            },
            "queues.yaml": {"defaults": {"language": "en"}, "queues": _queues()},
            "vip.yaml": {
                "aging": 1.0,
                "churn_boost": {"high": 40, "medium": 15},
                "tiers": [
                    {
                        "name": "platinum",
                        "qualify": {"value_percentile": 95},
                        "priority_boost": 300,
                        "group": "platinum",
                        "max_wait": 120,
                    },
                    {"name": "at-risk", "qualify": {"risk_tiers": ["high"]}, "priority_boost": 60},
                ],
            },
        },
        version="bench",
    )
    now = 1_800_000_000.0
    available = {a: now - rng.uniform(0, 600) for a in sorted(config.agents) if rng.random() < 0.6}
    calls = []
    for i in range(n_calls):
        queue = rng.choice([*SKILLS, "vip"])
        lang = rng.choices(LANGUAGES, weights=[6, 3, 1])[0]
        tier = rng.choices(["-", "platinum", "at-risk"], weights=[90, 5, 5])[0]
        risk = rng.choices(["-", "high", "medium"], weights=[80, 10, 10])[0]
        lane = plan.lane_name(queue, lang, tier, risk, False, "bench")
        calls.append(BoardCall(f"c{i:05d}", lane, now - rng.uniform(0, 300), queue, lang, tier))
    return {
        "config": config,
        "now": now,
        "available": available,
        "calls": calls,
        "calls_by_id": {c.call_id: c for c in calls},
    }
