"""`python -m engine agents ...` (``skills check`` is ``engine/skills/cli.py``).

``agents`` talks to Redis directly (``redis_url``, ``redis_prefix``); engines notice a
newly available agent through the wake channel.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import orjson

from engine.errors import EngineError


def register(sub: Any) -> None:
    agents = sub.add_parser("agents", help="agent presence: login|logout|pause|unpause|list")
    agents_sub = agents.add_subparsers(dest="agents_command", required=True, metavar="ACTION")
    for name in ("login", "logout", "unpause"):
        p = agents_sub.add_parser(name, help=f"{name} an agent")
        p.add_argument("agent_id")
        p.set_defaults(func=_agents, action=name)
    p = agents_sub.add_parser("pause", help="pause an agent (after the call when on one)")
    p.add_argument("agent_id")
    p.add_argument("--reason", default="break")
    p.set_defaults(func=_agents, action="pause")
    p = agents_sub.add_parser("list", help="every agent's state and occupancy")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_agents, action="list")


def _agents(args: argparse.Namespace) -> int:
    settings = args.settings()
    try:
        return asyncio.run(_agents_async(args, settings.redis_url, settings.redis_prefix))
    except EngineError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1


async def _agents_async(args: argparse.Namespace, url: str, prefix: str) -> int:
    from engine import redispool
    from engine.routing.presence import Presence
    from engine.routing.store import RoutingStore

    redis = redispool.connect(url, max_connections=4)
    try:
        presence = Presence(RoutingStore(redis, prefix))
        if args.action == "list":
            rows = await presence.list()
            if args.json:
                print(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
            else:
                print(f"{'id':<10} {'state':<11} {'reason':<13} {'occupancy':>9}  name")
                for r in rows:
                    occ = "-" if r["occupancy"] is None else f"{100 * r['occupancy']:.0f}%"
                    state = r["state"] + ("" if r["registered"] else "*")
                    # boxes that could not reach the phone: none of their calls for now
                    barred = "".join(
                        f"  [no offers from {box}: {x['reason']}]"
                        for box, x in r["excluded"].items()
                    )
                    print(
                        f"{r['id']:<10} {state:<11} {r['reason'] or '':<13} {occ:>9}  "
                        f"{r['name']}{barred}"
                    )
            return 0
        if args.action == "pause":
            state = await presence.pause(args.agent_id, args.reason)
        else:
            state = await getattr(presence, args.action)(args.agent_id)
        print(f"{args.agent_id}: {state}")
        return 0
    finally:
        await redis.aclose()
