"""Session fixtures: one sandbox Asterisk and one private redis-server per test run.

Integration tests are marked ``integration``; they are never skipped: if the sandbox
cannot start, the run fails and says why. Settings carry fresh random secrets for
every run, so no credential lives in the repository.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from engine import settings as settings_mod
from engine.ari.client import AriClient
from engine.settings import Settings
from tests.boxes import (  # noqa: F401  (several engines: tests/boxes.py)
    ari_b,
    box_b_peer,
    engine_processes,
    second_box,
    shared_store,
)

ROOT = Path(__file__).resolve().parent.parent
TEST_SKILLS = ROOT / "tests" / "integration" / "skills"


# Where the sandbox lives and which ports it takes may be moved with the usual ENGINE_*
# variables, so two runs on one host use separate sandboxes, e.g.
#   ENGINE_SANDBOX_DIR=/var/tmp/sbx-b ENGINE_ARI_URL=http://127.0.0.1:18088/ari \
#   ENGINE_AMI_PORT=15038 ENGINE_SIP_PORT=15060 ENGINE_RTP_START=21000 ENGINE_RTP_END=21999 \
#   ENGINE_MEDIA_PORT_START=31000 ENGINE_MEDIA_PORT_END=31999 bash scripts/test.sh
PLACEMENT = {
    f"ENGINE_{name}"
    for name in (
        "SANDBOX_DIR",
        "ARI_URL",
        "AMI_PORT",
        "SIP_PORT",
        "RTP_START",
        "RTP_END",
        "MEDIA_PORT_START",
        "MEDIA_PORT_END",
        "MODELS_DIR",
    )
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server for the session (started on first use), with a template
    database ``tenure_template`` that holds the engine's schema."""
    from engine.sandbox.postgres import PostgresServer, free_low_port
    from engine.schemas import MIGRATIONS
    from engine.store.database import Database

    server = PostgresServer(free_low_port()).start()
    try:
        Database(server.create_database("tenure_template"), MIGRATIONS).open_sync().close_sync()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server) -> str:
    """A PostgreSQL database with the engine's schema for the whole session, e.g. for
    several engines sharing one store (``database_url``)."""
    return str(postgres_server.create_database("tenure_shared", "tenure_template"))


@pytest.fixture
def fresh_postgres(postgres_server) -> Iterator[str]:
    """A database of its own for one test (a copy of the template), dropped after it."""
    name = f"t_{secrets.token_hex(6)}"
    url = postgres_server.create_database(name, "tenure_template")
    yield str(url)
    postgres_server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a store test keeps its data, once per backend: a SQLite file, or a fresh
    PostgreSQL database (``Database(store_target, MIGRATIONS)``)."""
    if request.param == "sqlite":
        return str(tmp_path / "engine.db")
    return str(request.getfixturevalue("fresh_postgres"))


@pytest.fixture(scope="session")
def engine_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    work = tmp_path_factory.mktemp("engine")
    return settings_mod.load(
        None,
        environ={k: v for k, v in os.environ.items() if k in PLACEMENT},
        ari_password=secrets.token_hex(16),
        ami_secret=secrets.token_hex(16),
        api_token=secrets.token_hex(24),
        sip_agent_password=secrets.token_hex(12),  # PJSIP/1001... for the real phones
        softphone_secret=secrets.token_hex(16),  # the desk's WebRTC softphones
        database_path=str(work / "engine.db"),
        skills_dir=str(TEST_SKILLS),
        http_port=free_port(),
        agent_ring_timeout=6.0,
        # Live speech costs up to a core per transcribed leg: tests that exercise it turn
        # it on (engine_factory(speech_enabled=True), tests/integration/test_speech_calls.py).
        speech_enabled=False,
        log_level="warning",
        cluster_peers=box_b_peer(),  # the trunk to the second box (tests/boxes.py)
    )


@pytest.fixture(scope="session")
def sandbox(engine_settings: Settings):
    from engine.sandbox.asterisk import Sandbox

    box = Sandbox(engine_settings)
    box.up()
    yield box
    if os.environ.get("TENURE_KEEP_SANDBOX") != "1":
        box.down()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory):
    from engine.sandbox.redis import RedisServer

    server = RedisServer(free_port(), tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server) -> str:
    return str(redis_server.url)


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url, decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def ari(engine_settings: Settings, sandbox) -> AsyncIterator[AriClient]:
    client = AriClient(
        engine_settings.ari_url, engine_settings.ari_user, engine_settings.ari_password
    )
    yield client
    await _hang_up_everything(client)
    await client.close()


async def _hang_up_everything(client: AriClient) -> None:
    """Leave Asterisk empty for the next test, whatever this one did."""
    for channel in await client.channels():
        with contextlib.suppress(Exception):
            await client.hangup(channel["id"])
    await asyncio.sleep(0.3)
    for bridge in await client.bridges():
        with contextlib.suppress(Exception):
            await client.destroy_bridge(bridge["id"])


@pytest.fixture
async def engine_factory(
    engine_settings: Settings,
    sandbox,
    redis_client,
    redis_url: str,
) -> AsyncIterator[Callable[..., Awaitable[object]]]:
    from engine.app import Engine

    started: list[Engine] = []

    async def make(lookup: object = None, **overrides: object) -> Engine:
        settings = dataclasses.replace(
            engine_settings, redis_url=redis_url, http_port=free_port(), **overrides
        )
        engine = Engine(settings, lookup=lookup)  # type: ignore[arg-type]
        try:
            await engine.start()
        except BaseException:  # e.g. refused: leave nothing of it running
            await engine.stop()
            raise
        started.append(engine)
        return engine

    yield make
    for engine in reversed(started):
        with contextlib.suppress(Exception):
            await engine.stop()


@pytest.fixture
async def engine(engine_factory):
    return await engine_factory()


CHROMIUM = "/usr/bin/chromium"
BROWSER_TONE_HZ = 1000.0  # what the browser's fake microphone plays (the desk's softphone)


@pytest.fixture(scope="session")
async def browser(tmp_path_factory: pytest.TempPathFactory):
    """One headless Chromium (Debian's, driven by Playwright) for the session, with fake
    media devices: the microphone plays a BROWSER_TONE_HZ tone, no permission prompts."""
    from playwright.async_api import async_playwright

    from tests.integration.tones import write_tone

    tone = write_tone(tmp_path_factory.mktemp("browser") / "mic.wav", BROWSER_TONE_HZ)
    args = [
        "--no-sandbox",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-audio-capture={tone}",
        "--autoplay-policy=no-user-gesture-required",
        "--allow-loopback-in-peer-connection",  # WebRTC media on 127.0.0.1 like the sandbox's
    ]
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield chromium
        await chromium.close()
