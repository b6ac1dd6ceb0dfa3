"""The matcher (pure Board): who gets which call, and in which order calls are served."""

from __future__ import annotations

from engine.calls.ports import Caller, RouteRequest
from engine.routing import plan
from engine.routing import waiting as wt
from engine.routing.board import Board, BoardCall

from .factory import make_config

CFG = make_config()


def board(free: dict[str, float], config=CFG) -> Board:
    b = Board(config)
    for agent_id, idle in free.items():
        b.agent_free(agent_id, idle)
    return b


def add(
    b: Board,
    call_id: str,
    queue: str,
    queued_at: float,
    lang: str = "en",
    caller: Caller | None = None,
    front: bool = False,
) -> BoardCall:
    w = wt.classify(b.config, RouteRequest(call_id, queue, queued_at, lang, None, caller))
    call = BoardCall(
        call_id,
        plan.lane_name(w.queue, w.language, w.tier, w.risk, front, "a"),
        queued_at,
        w.queue,
        w.language,
        w.tier,
    )
    b.add_call(call)
    return call


def test_best_proficiency_first_then_longest_idle():
    b = board({"tech3": 10.0, "tech5": 50.0, "plat": 5.0})
    add(b, "c1", "technical", 100.0)
    assert b.match_call("c1", 100.0) == ("tech5", "c1")
    add(b, "c2", "technical", 100.0)
    assert b.match_call("c2", 100.0) == ("plat", "c2")  # proficiency 4 beats 3
    add(b, "c3", "technical", 100.0)
    assert b.match_call("c3", 100.0) == ("tech3", "c3")


def test_longest_idle_strategy_ignores_proficiency():
    queues = {"general": {"skills": {"technical": 2}, "strategy": "longest-idle"}}
    b = board({"tech5": 50.0, "tech2": 10.0, "tech3": 20.0}, make_config(queues=queues))
    add(b, "c1", "general", 100.0)
    assert b.match_call("c1", 100.0) == ("tech2", "c1")


def test_language_must_match():
    b = board({"tech5": 1.0, "zh": 2.0})
    add(b, "c1", "technical", 100.0, lang="zh")
    assert b.match_call("c1", 100.0) == ("zh", "c1")
    add(b, "c2", "technical", 100.0, lang="zh")
    assert b.match_call("c2", 100.0) is None


def test_expert_busy_general_agent_after_escalation():
    b = board({"gen": 1.0})
    add(b, "c1", "technical", 100.0)
    assert b.match_call("c1", 159.0) is None  # still needs a technical agent
    assert b.match_call("c1", 160.0) == ("gen", "c1")  # 60 s: general agents too


def test_vip_overtakes_earlier_callers_and_reaches_platinum():
    b = board({})
    for i in range(5):
        add(b, f"c{i}", "general", 100.0 + i)
    add(b, "vip", "general", 150.0, caller=Caller("x", value_percentile=99))
    b.agent_free("gen", 151.0)  # not platinum: gets the oldest ordinary
    assert b.match_agent("gen", 151.0) == ("gen", "c0")
    b.agent_free("plat", 152.0)
    assert b.match_agent("plat", 152.0) == ("plat", "vip")


def test_no_starvation_aging_beats_boost():
    b = board({})
    add(b, "old", "general", 0.0)
    add(b, "vip", "general", 500.0, caller=Caller("x", value_percentile=99))
    b.agent_free("plat", 501.0)
    assert b.match_agent("plat", 501.0) == ("plat", "old")  # waited 501 s > 300 s boost


def test_front_of_queue_after_failed_ring():
    b = board({})
    add(b, "a", "general", 10.0)
    add(b, "retry", "general", 50.0, front=True)
    b.agent_free("gen", 60.0)
    assert b.match_agent("gen", 60.0) == ("gen", "retry")


def test_free_agent_takes_best_call_across_queues():
    b = board({})
    add(b, "g", "general", 0.0)  # priority 0, waited 100
    add(b, "t", "technical", 20.0)  # priority 10, waited 80 -> 90
    add(b, "risk", "general", 60.0, caller=Caller("y", risk_tier="high"))  # 40+60+40=140
    b.agent_free("plat", 100.0)
    assert b.match_agent("plat", 100.0) == ("plat", "risk")
    b.agent_free("plat", 100.0)
    assert b.match_agent("plat", 100.0) == ("plat", "g")


def test_extra_skills_are_all_required():
    queues = {"general": {"skills": {"technical": 3, "general": 3}}}
    b = board({"tech5": 1.0, "plat": 2.0}, make_config(queues=queues))
    add(b, "c1", "general", 100.0)
    assert b.match_call("c1", 100.0) == ("plat", "c1")  # tech5 lacks general
