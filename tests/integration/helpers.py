"""Small helpers for integration tests: place simulated callers, wait for conditions."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from engine.ari.client import AriClient
from engine.sim import parties
from tests.conftest import TEST_SKILLS

_ids = itertools.count(1)


async def place_caller(
    ari: AriClient,
    did: str,
    number: str,
    *,
    dtmf: str | None = None,
    dtmf_delay: float = 1.0,
    hold: float | None = None,
    wav: str | None = None,
) -> str:
    """Start a simulated caller dialling ``did`` from ``number``; returns the caller-side
    channel ID (hang it up to make the caller hang up)."""
    params = parties.caller(did, number, wav=wav, dtmf=dtmf, dtmf_delay=dtmf_delay, hold=hold)
    channel_id = f"sim-{int(time.time())}-{next(_ids)}"
    await ari.originate(params.pop("endpoint"), channelId=channel_id, **params)
    return channel_id


async def wait_for(
    check: Callable[[], Awaitable[Any]] | Callable[[], Any],
    timeout: float = 15.0,
    interval: float = 0.1,
    what: str = "condition",
) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


async def bridges_by_id(ari: AriClient) -> dict[str, list[str]]:
    return {b["id"]: b["channels"] for b in await ari.bridges()}


def reply_held(
    client: AriClient, monkeypatch: pytest.MonkeyPatch
) -> tuple[asyncio.Event, asyncio.Event]:
    """``client``'s ``GET /channels`` is answered by Asterisk at once, but the reply reaches
    its caller only when ``release`` is set; ``asked`` is set once Asterisk has answered."""
    asked, release = asyncio.Event(), asyncio.Event()
    listing = client.channels

    async def in_flight() -> list[dict[str, Any]]:
        channels = await listing()
        asked.set()
        await release.wait()
        return channels

    monkeypatch.setattr(client, "channels", in_flight)
    return asked, release


async def channel_ids(ari: AriClient) -> set[str]:
    return {c["id"] for c in await ari.channels()}


@contextlib.asynccontextmanager
async def sim_globals(ari: AriClient, values: dict[str, str]) -> AsyncIterator[None]:
    """Set dialplan globals (simulated parties' behaviour) for the block, then clear them."""
    for name, value in values.items():
        await ari.set_global(name, value)
    try:
        yield
    finally:
        for name in values:
            await ari.set_global(name, "")


async def on_call_agent(redis: Any, prefix: str = "tenure") -> tuple[str, str] | None:
    """(agent, call) of the one agent talking in the shared pool, once there is one."""
    for agent_id in sorted(await redis.smembers(f"{prefix}:agents")):
        row = await redis.hgetall(f"{prefix}:agent:{agent_id}")
        if row.get("state") == "on_call":
            return agent_id, row["call"]
    return None


def one_agent_skills(folder: Path, agent_id: str, endpoint: str) -> dict[str, str]:
    """The test skills with one agent, ``agent_id`` on ``endpoint``, for every call."""
    shutil.copytree(TEST_SKILLS, folder)
    (folder / "agents.yaml").write_text(
        "skills: [technical, billing, general]\n"
        "groups: [platinum, technical, billing, general]\n"
        "agents:\n"
        f'  - {{id: "{agent_id}", name: Only Agent, endpoint: {endpoint}, languages: [en, zh],\n'
        "     skills: {general: 5, technical: 5, billing: 5}, groups: [general, platinum],\n"
        "     auto_login: true}\n"
    )
    return {"skills_dir": str(folder)}
