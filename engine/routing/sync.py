"""Bring Redis in line with a (new) configuration, without touching anyone's place in line."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import orjson

from engine.calls.ports import Caller, RouteRequest
from engine.routing import plan
from engine.routing.config_types import RoutingConfig
from engine.routing.store import RoutingStore


async def sync_agents(store: RoutingStore, config: RoutingConfig, now: float) -> None:
    """Write every configured agent's profile and pools; log out agents no longer listed.
    New agents with ``auto_login`` start available; existing agents keep their state."""
    async with store.redis.pipeline(transaction=False) as pipe:
        for agent in config.agents.values():
            await store._agent(
                keys=[store.keys.prefix],
                client=pipe,
                args=[
                    "profile",
                    repr(now),
                    agent.id,
                    agent.name,
                    agent.endpoint,
                    " ".join(plan.agent_pools(agent)),
                    orjson.dumps(dict(agent.skills)).decode(),
                    ",".join(agent.languages),
                    ",".join(agent.groups),
                    "1" if agent.auto_login else "0",
                ],
            )
        await pipe.execute()
    for agent_id in set(await store.agent_ids()) - set(config.agents):
        await store.agent_op("remove", now, agent_id)


def caller_dict(caller: Caller | None) -> dict[str, Any]:
    if caller is None:
        return {}
    data = asdict(caller)
    data["flags"] = sorted(caller.flags)
    return data


def caller_from(data: dict[str, Any]) -> Caller | None:
    if not data:
        return None
    return Caller(**{**data, "flags": frozenset(data.get("flags") or ())})


def language_for(config: RoutingConfig, request: RouteRequest, queue: str) -> str:
    """The call's language, reduced to one that some agent speaks (else the default)."""
    spoken = {lang for a in config.agents.values() for lang in a.languages}
    q = config.queues[queue]
    for raw in (
        request.language,
        request.caller.language if request.caller else None,
        q.language,
        config.default_language,
    ):
        if not raw:
            continue
        lang = raw.lower().replace("_", "-")
        for candidate in (lang, lang.split("-")[0]):
            if candidate in spoken:
                return candidate
    return config.default_language
