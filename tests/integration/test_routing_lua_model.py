"""The Lua scripts choose exactly what the pure core (Board) chooses, step by step."""

from __future__ import annotations

import random

import pytest

from engine.calls.ports import Caller, RouteRequest
from engine.routing import plan
from engine.routing import waiting as wt
from engine.routing.board import Board, BoardCall
from engine.routing.store import RoutingStore
from engine.routing.sync import sync_agents
from tests.unit.routing.factory import make_config

pytestmark = pytest.mark.integration
CONFIG = make_config()
CALLERS = [
    None,
    Caller("v", value_percentile=99),
    Caller("r", risk_tier="high"),
    Caller("m", risk_tier="medium"),
]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_redis_and_core_make_the_same_choices(redis_client, seed):
    rng, now = random.Random(seed), 1_800_000_000.0
    store = RoutingStore(redis_client, "eq")
    await sync_agents(store, CONFIG, now)
    await store.heartbeat("o", "model", 600)
    board, cutoffs = Board(CONFIG), plan.Cutoffs(CONFIG)
    for agent_id in sorted(CONFIG.agents):
        await store.agent_op("login", now, agent_id)
        board.agent_free(agent_id, now)
    on_call: dict[str, str] = {}
    matched = 0
    for step in range(250):
        roll = rng.random()
        if roll < 0.45:
            call_id = f"c{step}"
            request = RouteRequest(
                call_id,
                rng.choice(["general", "technical", "vip"]),
                now,
                rng.choice(["en", "en", "zh"]),
                None,
                rng.choice(CALLERS),
            )
            w = wt.classify(CONFIG, request)
            await store.enqueue(now, call_id, w.base, "o", w.queue, "", {}, now)
            board.add_call(
                BoardCall(
                    call_id,
                    plan.lane_name(w.queue, w.language, w.tier, w.risk, False, "o"),
                    now,
                    w.queue,
                    w.language,
                    w.tier,
                )
            )
            expected = board.match_call(call_id, now)
            queue = CONFIG.queues[w.queue]
            tiers, extra = plan.call_pools(
                queue, plan.needs_at(queue, CONFIG.tier(w.tier), 0), w.language
            )
            got = await store.reserve_agent(now, call_id, now + 60, tiers, extra)
        elif roll < 0.8 and on_call:
            agent_id = rng.choice(sorted(on_call))
            call_id = on_call.pop(agent_id)
            await store.call_op("connected", now, call_id, agent_id, "d", "20")
            await store.call_op("ended", now, call_id, agent_id, repr(now))
            board.reserved.pop(agent_id)
            board.agent_free(agent_id, now)
            expected = board.match_agent(agent_id, now)
            agent = CONFIG.agents[agent_id]
            got = await store.reserve_call(
                now,
                agent_id,
                now + 60,
                {
                    "cut": cutoffs(agent),
                    "langs": list(agent.languages),
                    "qb": {q.name: q.priority for q in CONFIG.queues.values()},
                    "tb": {t.name: t.priority_boost for t in CONFIG.tiers},
                    "rb": dict(CONFIG.churn_boost),
                    "aging": CONFIG.aging,
                },
            )
        else:
            now += rng.choice([1.0, 5.0, 20.0, 45.0])
            continue
        assert ((got.agent_id, got.call_id) if got else None) == expected, f"step {step}"
        if expected:
            matched += 1
            on_call[expected[0]] = expected[1]
    assert matched > 30  # the scenario really exercised both paths
    in_redis = [c for q in CONFIG.queues for c, _ in await store.waiting_ids(q)]
    assert sorted(in_redis) == sorted([*board.calls, *on_call.values()])
