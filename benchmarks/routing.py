"""Routing decision time: 10,000 agents, 1,000 waiting calls (issue 3).

Two kinds of decision, alternated at random:
  call -> agent   a waiting call looks for the best available agent (escalation step,
                  pools by skill/level/language/group) and reserves them;
  agent -> call   a free agent takes the best waiting call across every queue they serve.
Measured in the pure core (engine/routing/board.py, in memory) and including Redis (the
Lua scripts, one round trip each, over loopback). Each reservation is undone, untimed,
so the state stays the same size. Memory: Python heap of the core's indexes, Redis
used_memory of the routing keys.

    .venv/bin/python benchmarks/routing.py [--agents 10000 --calls 1000 --decisions 2000]
                                           [--redis-url redis://...] [--json]

Without --redis-url a private redis-server is started on a free loopback port.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio as aioredis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.routing_setup import make_world
from engine.routing import plan
from engine.routing.board import Board
from engine.routing.store import RoutingStore
from engine.routing.sync import sync_agents


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {
        "p50_ms": round(pick(0.50) * 1e3, 4),
        "p99_ms": round(pick(0.99) * 1e3, 4),
        "mean_ms": round(statistics.fmean(ordered) * 1e3, 4),
        "n": len(ordered),
    }


def run_core(world: dict[str, Any], decisions: int, rng: random.Random) -> dict[str, Any]:
    config, now = world["config"], world["now"]
    tracemalloc.start()
    board = Board(config)
    for agent_id, idle in world["available"].items():
        board.agent_free(agent_id, idle)
    for call in world["calls"]:
        board.add_call(call)
    memory = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    t0 = time.perf_counter()  # eligibility plans: once per agent
    for agent in config.agents.values():  # profile and config, then cached
        board.cutoffs_for(agent)
    plan_ms = (time.perf_counter() - t0) * 1e3 / len(config.agents)
    times: dict[str, list[float]] = {"call->agent": [], "agent->call": []}
    found = 0
    call_ids, agent_ids = [c.call_id for c in world["calls"]], list(world["available"])
    for _ in range(decisions):
        if rng.random() < 0.5:
            call = board.calls[rng.choice(call_ids)]
            t0 = time.perf_counter()
            got = board.match_call(call.call_id, now)
            times["call->agent"].append(time.perf_counter() - t0)
        else:
            agent_id = rng.choice(agent_ids)
            t0 = time.perf_counter()
            got = board.match_agent(agent_id, now)
            times["agent->call"].append(time.perf_counter() - t0)
        if got:  # undo, untimed
            found += 1
            agent_id, call_id = got
            board.agent_free(agent_id, world["available"][agent_id])
            board.add_call(world["calls_by_id"][call_id])
    every = times["call->agent"] + times["agent->call"]
    return {
        "all": percentiles(every),
        **{k: percentiles(v) for k, v in times.items()},
        "matched": found,
        "memory_mb": round(memory / 2**20, 1),
        "plan_per_agent_ms": round(plan_ms, 4),
    }


async def run_redis(
    world: dict[str, Any], url: str, decisions: int, rng: random.Random
) -> dict[str, Any]:
    config, now = world["config"], world["now"]
    redis = aioredis.from_url(url, decode_responses=True)
    await redis.flushdb()
    before = int((await redis.info("memory"))["used_memory"])
    store = RoutingStore(redis, "bench")
    await sync_agents(store, config, now)  # every agent: profile, pools, available
    async with redis.pipeline(transaction=False) as pipe:  # the same agents available
        for agent_id, idle in world["available"].items():
            await store._agent(keys=["bench"], client=pipe, args=["login", repr(idle), agent_id])
        await pipe.execute()
    await store.heartbeat("bench", "bench", 3600)
    for call in world["calls"]:
        await store.enqueue(
            call.queued_at,
            call.call_id,
            call.lane.rsplit("|", 2)[0],
            "bench",
            call.queue,
            "",
            {},
            call.queued_at,
        )
    memory = int((await redis.info("memory"))["used_memory"]) - before
    plans, cutoffs = {}, plan.Cutoffs(config)
    for agent_id in world["available"]:
        agent = config.agents[agent_id]
        plans[agent_id] = {
            "cut": cutoffs(agent),
            "langs": agent.languages,
            "qb": {q.name: q.priority for q in config.queues.values()},
            "tb": {t.name: t.priority_boost for t in config.tiers},
            "rb": dict(config.churn_boost),
            "aging": config.aging,
        }
    times: dict[str, list[float]] = {"call->agent": [], "agent->call": []}
    found = 0
    calls, agent_ids = world["calls"], list(world["available"])
    for _ in range(decisions):
        if rng.random() < 0.5:
            call = rng.choice(calls)
            t0 = time.perf_counter()
            queue = config.queues[call.queue]
            needs = plan.needs_at(queue, config.tier(call.tier), now - call.queued_at)
            tiers, extra = plan.call_pools(queue, needs, call.language)
            got = await store.reserve_agent(now, call.call_id, now + 60, tiers, extra)
            times["call->agent"].append(time.perf_counter() - t0)
        else:
            agent_id = rng.choice(agent_ids)
            t0 = time.perf_counter()
            got = await store.reserve_call(now, agent_id, now + 60, plans[agent_id])
            times["agent->call"].append(time.perf_counter() - t0)
        if got:  # undo, untimed: agent free, call back
            found += 1
            await store.agent_op("release", now, got.agent_id, "front")
    await redis.flushdb()
    await redis.aclose()
    every = times["call->agent"] + times["agent->call"]
    return {
        "all": percentiles(every),
        **{k: percentiles(v) for k, v in times.items()},
        "matched": found,
        "redis_memory_mb": round(memory / 2**20, 1),
    }


@contextlib.contextmanager
def private_redis():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=1_000)
    parser.add_argument("--decisions", type=int, default=2_000)
    parser.add_argument("--redis-url", help="use this Redis (it is flushed!)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    world = make_world(args.agents, args.calls, random.Random(args.seed))
    core = run_core(world, args.decisions, random.Random(args.seed))
    with contextlib.ExitStack() as stack:
        url = args.redis_url or stack.enter_context(private_redis())
        with_redis = asyncio.run(run_redis(world, url, args.decisions, random.Random(args.seed)))
    result = {
        "agents": args.agents,
        "waiting_calls": args.calls,
        "decisions": args.decisions,
        "available_agents": len(world["available"]),
        "core": core,
        "redis": with_redis,
        "targets": {"core_p99_ms": 1.0, "redis_p99_ms": 3.0},
        "ok": core["all"]["p99_ms"] <= 1.0
        and with_redis["all"]["p99_ms"] <= 3.0
        and core["matched"] > 0
        and with_redis["matched"] > 0,
    }
    if args.json:
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
        return 0 if result["ok"] else 1
    print(
        f"routing decisions: {args.agents} agents ({len(world['available'])} available), "
        f"{args.calls} waiting calls, {args.decisions} decisions"
    )
    print(f"{'':<22}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    for name, part in (("core", core), ("core + Redis", with_redis)):
        for kind in ("all", "call->agent", "agent->call"):
            p = part[kind]
            print(
                f"{name + ' ' + kind:<22}{p['p50_ms']:>9.3f}{p['p99_ms']:>9.3f}{p['mean_ms']:>9.3f}"
            )
    print(
        f"reservations made: core {core['matched']}, Redis {with_redis['matched']} "
        f"of {args.decisions} decisions"
    )
    print(f"memory: core indexes {core['memory_mb']} MB, Redis {with_redis['redis_memory_mb']} MB")
    print(
        f"eligibility plan per agent (once per profile and config): "
        f"{core['plan_per_agent_ms']:.3f} ms"
    )
    print(f"targets: p99 <= 1 ms core, <= 3 ms with Redis: {'met' if result['ok'] else 'MISSED'}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
