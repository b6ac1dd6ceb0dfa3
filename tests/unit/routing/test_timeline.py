"""The escalation timeline: what a call needs at each moment of its wait (pure tables)."""

from __future__ import annotations

import pytest

from engine.calls.ports import Caller, RouteRequest
from engine.routing import plan
from engine.routing import waiting as wt

from .factory import make_config

CFG = make_config()
TECH = CFG.queues["technical"]
PLAT = CFG.tier("platinum")


@pytest.mark.parametrize(
    ("wait", "skills", "groups", "general", "hint", "step"),
    [
        (0, (("technical", 3),), set(), set(), False, 0),
        (29.9, (("technical", 3),), set(), set(), False, 0),
        (30, (("technical", 2),), set(), set(), False, 1),
        (59, (("technical", 2),), set(), set(), False, 1),
        (60, (("technical", 2),), set(), {"general"}, True, 2),
        (1000, (("technical", 2),), set(), {"general"}, True, 3),
    ],
)
def test_needs_widen_with_wait(wait, skills, groups, general, hint, step):
    needs = plan.needs_at(TECH, None, wait)
    assert (needs.skills, set(needs.groups), set(needs.general_groups), needs.hint, needs.step) == (
        skills,
        groups,
        general,
        hint,
        step,
    )


@pytest.mark.parametrize(
    ("wait", "groups", "general"),
    [
        (0, {"platinum"}, set()),  # the tier's dedicated group only ...
        (119, {"platinum"}, set()),
        (120, set(), {"general"}),  # ... until max_wait: then the queue's usual agents
    ],
)
def test_vip_tier_group_until_max_wait(wait, groups, general):
    needs = plan.needs_at(TECH, PLAT, wait)
    assert set(needs.groups) == groups
    assert set(needs.general_groups) == general


@pytest.mark.parametrize(
    ("agent", "tier", "cut"),
    [
        ("tech5", "-", 0.0),
        ("tech3", "-", 0.0),
        ("tech2", "-", 30.0),
        ("gen", "-", 60.0),
        ("plat", "-", 0.0),
        ("plat", "platinum", 0.0),
        ("tech5", "platinum", 120.0),
        ("gen", "platinum", 120.0),
    ],
)
def test_agent_cutoffs(agent, tier, cut):
    assert plan.agent_cutoffs(CFG, CFG.agents[agent])[f"technical|{tier}"] == cut


def test_agent_never_qualifies_is_absent():
    cuts = plan.agent_cutoffs(CFG, CFG.agents["gen"])
    assert "vip|-" not in cuts  # vip queue: platinum agents only
    assert cuts["general|-"] == 0.0


def test_call_pools_best_skill_tiers_then_general():
    tiers, extra = plan.call_pools(TECH, plan.needs_at(TECH, None, 60), "en")
    assert tiers == [
        ["technical|5|en|*"],
        ["technical|4|en|*"],
        ["technical|3|en|*"],
        ["technical|2|en|*"],
        ["*|0|en|general"],
    ]
    assert extra == []


def test_call_pools_longest_idle_is_one_tier():
    queue = make_config(
        queues={"general": {"skills": {"general": 2}, "strategy": "longest-idle"}}
    ).queues["general"]
    tiers, _ = plan.call_pools(queue, plan.needs_at(queue, None, 0), "zh")
    assert tiers == [["general|5|zh|*", "general|4|zh|*", "general|3|zh|*", "general|2|zh|*"]]


@pytest.mark.parametrize(
    ("caller", "tier", "risk"),
    [
        (None, None, "-"),
        (Caller("c", value_percentile=96), "platinum", "-"),
        (Caller("c", value_percentile=94), None, "-"),
        (Caller("c", flags=frozenset({"vip"})), "platinum", "-"),
        (Caller("c", risk_tier="high"), "at-risk", "high"),
        (Caller("c", risk_tier="medium"), None, "medium"),
        (Caller("c", vip_tier="at-risk", value_percentile=99), "at-risk", "-"),
    ],
)
def test_classify(caller, tier, risk):
    got, got_risk = plan.classify(CFG, caller)
    assert (got.name if got else None, got_risk) == (tier, risk)


def test_aging_lets_ordinary_callers_overtake_boosts_eventually():
    vip_lane = plan.lane_name("general", "en", "platinum", "-", False, "a")
    plain = plan.lane_name("general", "en", "-", "-", False, "a")
    now = 1000.0
    assert plan.priority(CFG, vip_lane, now - 1, now) > plan.priority(CFG, plain, now - 200, now)
    assert plan.priority(CFG, plain, now - 400, now) > plan.priority(CFG, vip_lane, now - 1, now)


def test_due_actions_walk_the_timeline_once():
    w = wt.classify(CFG, RouteRequest("c1", "technical", 0.0, "en", "technical"))
    w.queued_at = 0.0
    table = [
        (10, []),
        (30, [("widen", None)]),
        (31, []),
        (65, [("widen", None)]),
        (300, [("widen", None), ("overflow", "general")]),
    ]
    for now, expected in table:
        assert wt.due_actions(CFG, w, now) == expected, now


def test_catch_up_marks_past_steps_without_acting():
    w = wt.classify(CFG, RouteRequest("c1", "general", 0.0, "en"))
    w.queued_at = 0.0
    w.catch_up(CFG, 200.0)
    assert wt.due_actions(CFG, w, 201.0) == []


def test_unknown_queue_and_language_fall_back():
    w = wt.classify(CFG, RouteRequest("c1", "nope", 0.0, "fr-FR"))
    assert (w.queue, w.language) == ("general", "en")
    w = wt.classify(CFG, RouteRequest("c2", "general", 0.0, "zh-CN"))
    assert w.language == "zh"
