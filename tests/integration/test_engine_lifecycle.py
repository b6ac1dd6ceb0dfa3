"""What an engine owns does not outlive it, and a busy engine never loses a call (issue 13).

- engine stop: the speech taps it opened (snoop, externalMedia, their bridge) are gone
  from Asterisk, the calls themselves are still up for the next engine;
- engine SIGKILL (its own process, with taps up): the next engine sweeps the taps it
  finds within seconds of connecting;
- a Redis pool smaller than the number of calls: every call still connects (commands
  wait for a connection instead of failing the call).

Counted the way an operator would: ARI's channel and bridge lists, the call records.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
import yaml

from engine.sim import parties
from tests.conftest import free_port
from tests.integration.helpers import (
    bridges_by_id,
    channel_ids,
    place_caller,
    sim_globals,
    wait_for,
)

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
TEST_SKILLS = Path(__file__).parent / "skills"


@pytest.fixture(scope="module")
def many_agents(tmp_path_factory) -> Path:
    """The integration skills with eight general agents (more calls than the four)."""
    folder = tmp_path_factory.mktemp("lifecycle-skills")
    for path in TEST_SKILLS.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    agents = [
        {
            "id": str(2101 + i),
            "name": f"Agent {i}",
            "endpoint": parties.agent_endpoint(str(2101 + i)),
            "languages": ["en", "zh"],
            "skills": {"general": 3},
            "groups": ["general"],
            "auto_login": True,
        }
        for i in range(8)
    ]
    doc = {
        "skills": ["technical", "billing", "general"],
        "groups": ["platinum", "technical", "billing", "general"],
        "agents": agents,
    }
    (folder / "agents.yaml").write_text(yaml.safe_dump(doc))
    return folder


# what a phone does and the silent simulated parties do not: send audio all along. A
# snoop hung up through ARI ends only once the channel it spies on passes a frame, so
# with silent parties it would linger (unbridged, streaming nothing) until the call ends.
SOUND = "&".join(["silence/10"] * 6)


async def speaking_caller(ari, number: str) -> str:
    params = parties.caller("8100", number, wav=SOUND, wav_delay=0.1, hold=60)
    channel_id = f"lc-{number}-{time.monotonic_ns()}"
    await ari.originate(params.pop("endpoint"), channelId=channel_id, **params)
    return channel_id


async def taps_in_asterisk(ari) -> tuple[set[str], set[str]]:
    """Speech tap channels (snoop, externalMedia) and tap bridges Asterisk has now."""
    channels = {c for c in await channel_ids(ari) if "-hear-" in c}
    bridges = {b for b in await bridges_by_id(ari) if b.startswith("speech-")}
    return channels, bridges


async def no_taps(ari) -> bool:
    return await taps_in_asterisk(ari) == (set(), set())


async def connected_callers(ari, callers: list[str]) -> bool:
    """Every caller's channel is up and bridged (with its agent)."""
    bridged = {c for members in (await bridges_by_id(ari)).values() for c in members}
    return all(f"{c};2" in bridged for c in callers)


async def tapped(ari, legs: int):
    channels, bridges = await taps_in_asterisk(ari)
    return (channels, bridges) if len(channels) >= 2 * legs and len(bridges) >= legs else None


async def test_engine_stop_tears_down_its_taps_and_leaves_calls_up(
    engine_factory, ari, many_agents
):
    engine = await engine_factory(
        speech_enabled=True, skills_dir=str(many_agents), speech_workers=1, speech_max_legs=4
    )
    async with sim_globals(ari, parties.agent_speech(SOUND, delay=0.1)):
        callers = [await speaking_caller(ari, f"1380013{i:04d}") for i in range(2)]
        await wait_for(lambda: connected_callers(ari, callers), timeout=20, what="calls bridged")
        # caller and agent of both calls heard: 4 legs, each a snoop, an externalMedia, a bridge
        await wait_for(lambda: tapped(ari, 4), timeout=20, what="four legs tapped")

        await engine.stop()

        await wait_for(lambda: no_taps(ari), timeout=5, what="the stopped engine's taps gone")
        up = await channel_ids(ari)
        assert all(c in up and f"{c};2" in up for c in callers), "the calls are still up"


async def engine_ready(env: dict[str, str]) -> bool:
    """The engine process answers ``/status`` with ARI connected (its Stasis app is up)."""
    url = f"http://127.0.0.1:{env['ENGINE_HTTP_PORT']}/status"
    headers = {"Authorization": f"Bearer {env['ENGINE_API_TOKEN']}"}
    try:
        async with aiohttp.ClientSession(headers=headers) as http, http.get(url) as resp:
            return resp.status == 200 and (await resp.json())["ari"]["connected"]
    except aiohttp.ClientError:
        return False


def engine_environment(settings, **overrides: object) -> dict[str, str]:
    """The settings as the ENGINE_* variables a separate engine process reads."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENGINE_")}
    values = dataclasses.asdict(dataclasses.replace(settings, **overrides))
    for name, value in values.items():
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        env[f"ENGINE_{name.upper()}"] = text
    env["PYTHONPATH"] = str(ROOT)
    return env


async def test_taps_of_a_killed_engine_are_swept_by_the_next(
    engine_settings, engine_factory, redis_url, ari, many_agents, tmp_path
):
    env = engine_environment(
        engine_settings,
        redis_url=redis_url,
        http_port=free_port(),
        speech_enabled=True,
        speech_workers=1,
        speech_max_legs=4,  # every leg heard (a calibrated budget could leave some waiting)
        skills_dir=str(many_agents),
        database_path=str(tmp_path / "killed.db"),
    )
    log = (tmp_path / "killed.log").open("wb")
    process = subprocess.Popen(  # noqa: ASYNC220 - the engine as its own process, to kill
        [sys.executable, "-m", "engine", "run"], env=env, cwd=ROOT, stdout=log, stderr=log
    )
    async with sim_globals(ari, parties.agent_speech(SOUND, delay=0.1)):
        try:
            await wait_for(
                lambda: engine_ready(env), timeout=60, interval=0.5, what="engine process up"
            )
            callers = [await speaking_caller(ari, f"1390013{i:04d}") for i in range(2)]
            await wait_for(
                lambda: connected_callers(ari, callers), timeout=40, what="calls bridged"
            )
            left, left_bridges = await wait_for(lambda: tapped(ari, 4), timeout=20, what="taps up")
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            log.close()
        await asyncio.sleep(1.0)
        still, still_bridges = await taps_in_asterisk(ari)
        assert left <= still and left_bridges <= still_bridges, "a killed engine cleans nothing"

        started = time.monotonic()
        await engine_factory(
            speech_enabled=True, skills_dir=str(many_agents), speech_workers=1, speech_max_legs=4
        )

        async def swept() -> bool:
            channels, bridges = await taps_in_asterisk(ari)
            return not (left & channels) and not (left_bridges & bridges)

        await wait_for(swept, timeout=10, interval=0.1, what="the killed engine's taps swept")
        print(
            f"{len(left)} tap channels of the killed engine swept in "
            f"{time.monotonic() - started:.2f} s from the new engine's start"
        )
        up = await channel_ids(ari)
        assert all(c in up for c in callers), "the calls outlived the killed engine"


async def test_a_redis_pool_smaller_than_the_calls_connects_every_call(
    engine_factory, ari, many_agents
):
    engine = await engine_factory(
        speech_enabled=False, skills_dir=str(many_agents), redis_max_connections=2
    )
    callers = [await place_caller(ari, "8100", f"1370013{i:04d}", hold=8) for i in range(6)]
    await wait_for(
        lambda: connected_callers(ari, callers), timeout=30, what="all six calls bridged"
    )

    async def records() -> list[dict]:
        rows = [await engine.records.get(f"{c};2") for c in callers]
        return rows if all(r and r.get("ended_at") for r in rows) else []

    rows = await wait_for(records, timeout=30, what="six ended call records")
    assert all(r["connected_at"] and r["agent_id"] for r in rows), "every call reached an agent"
    assert len({r["agent_id"] for r in rows}) == 6
