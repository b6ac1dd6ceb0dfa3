"""Properties of the matcher under random arrivals, frees and waits (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.calls.ports import Caller
from engine.routing.board import Board

from .factory import make_config
from .test_matcher import add

CFG = make_config()
AGENT_IDS = sorted(CFG.agents)

ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("call"),
            st.sampled_from(["general", "technical", "vip"]),
            st.sampled_from(["en", "zh"]),
            st.sampled_from([None, 99.0, "high"]),
        ),
        st.tuples(st.just("free"), st.sampled_from(AGENT_IDS)),
        st.tuples(st.just("wait"), st.floats(min_value=0.1, max_value=90.0)),
    ),
    max_size=60,
)


def _caller(kind):
    if kind is None:
        return None
    return (
        Caller("c", value_percentile=kind)
        if isinstance(kind, float)
        else Caller("c", risk_tier=kind)
    )


def _run(ops_list):
    b, now, n = Board(CFG), 0.0, 0
    offered: list[tuple[str, str]] = []
    for op in ops_list:
        if op[0] == "call":
            n += 1
            add(b, f"c{n}", op[1], now, op[2], _caller(op[3]))
            got = b.match_call(f"c{n}", now)
        elif op[0] == "free":
            if op[1] in b.idle:
                continue
            b.reserved.pop(op[1], None)  # the agent finished their call
            b.agent_free(op[1], now)
            got = b.match_agent(op[1], now)
        else:
            now += op[1]
            got = None
            for call_id in sorted(b.calls, key=lambda c: b.calls[c].queued_at):
                got = b.match_call(call_id, now) or got
        if got:
            offered.append(got)
    return b, now, offered


@settings(max_examples=150, deadline=None)
@given(ops)
def test_no_agent_is_reserved_twice(ops_list):
    b, _, offered = _run(ops_list)  # Board._reserve raises on a double reservation
    assert not set(b.reserved) & set(b.idle)
    assert all(a in b.idle for entries in b.pools.values() for _, a in entries)
    assert len({c for _, c in offered}) == len(offered), "a call offered twice"


@settings(max_examples=150, deadline=None)
@given(ops)
def test_every_call_is_eventually_offered(ops_list):
    b, now, _ = _run(ops_list)
    # from here on agents finish their calls and time passes: every caller gets an agent
    for _ in range(200):
        if not b.calls:
            break
        now += 30.0
        for agent_id in AGENT_IDS:
            if agent_id not in b.idle:
                b.reserved.pop(agent_id, None)
                b.agent_free(agent_id, now)
            b.match_agent(agent_id, now)
    assert not b.calls, f"never offered: {sorted(b.calls)}"


@settings(max_examples=100, deadline=None)
@given(ops)
def test_an_idle_agent_and_an_eligible_call_never_coexist(ops_list):
    b, now, _ = _run(ops_list)
    for agent_id in list(b.idle):
        assert b.best_call(CFG.agents[agent_id], now) is None
