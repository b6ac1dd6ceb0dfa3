"""Several engines in one test session: a second sandbox Asterisk ("box B") and engines
run as real processes (``python -m engine run --config FILE``) that a test may SIGKILL.

Box B is started once per session (its root filesystem is copied from box A's the
first time, about 4 s). Its ports default to ones that do not clash with the main
sandbox in CI (ARI 8089, AMI 5039, SIP 5062, RTP 21000-21999, media 31000-31999) and
move with ``TENURE_B_*`` variables, like box A's with ``ENGINE_*`` (tests/conftest.py
``PLACEMENT``), e.g. for the helper's sandbox 8:
  TENURE_B_SANDBOX_DIR=/var/lib/tenure-sbx-8 TENURE_B_ARI_URL=http://127.0.0.1:18788/ari
  TENURE_B_AMI_PORT=15738 TENURE_B_SIP_PORT=15760 TENURE_B_RTP_START=17000
  TENURE_B_RTP_END=17499 TENURE_B_MEDIA_PORT_START=17500 TENURE_B_MEDIA_PORT_END=17999
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from engine.sandbox import rootfs
from engine.settings import Settings
from tests.integration.baresip import Baresip

ROOT = Path(__file__).resolve().parent.parent
SECOND_BOX = {
    "sandbox_dir": "/var/lib/tenure-sandbox-b",
    "sip_host": "127.0.0.8",  # its own address: each box identifies the other's trunk by it
    "ari_url": "http://127.0.0.1:8089/ari",
    "ami_port": 5039,
    "sip_port": 5062,
    "rtp_start": 21000,
    "rtp_end": 21999,
    "media_port_start": 31000,
    "media_port_end": 31999,
}


@pytest.fixture
def shared_store(fresh_postgres: str) -> dict[str, Any]:
    """The one store every engine of a test shares (settings overrides): a PostgreSQL
    database of the test's own (``database_url``), as several boxes use in production."""
    return {"database_url": fresh_postgres}


def _second_placement() -> dict[str, Any]:
    placement: dict[str, Any] = {}
    for name, default in SECOND_BOX.items():
        raw = os.environ.get(f"TENURE_B_{name.upper()}")
        placement[name] = type(default)(raw) if raw is not None else default
    return placement


# The engines of the two boxes are named so (their instance_id): each box's trunk to the
# other is named after the other's engine (setting cluster_peers).
BOX_A, BOX_B = "box-a", "box-b"


def box_b_peer() -> str:
    """Box A's ``cluster_peers``: box B's SIP transport (tests/conftest.py sets it)."""
    placement = _second_placement()
    return f"{BOX_B}={placement['sip_host']}:{placement['sip_port']}"


def second_box_settings(first: Settings) -> Settings:
    """Box B: its own ports and address, agent phones (a password of the run), and a
    trunk back to box A."""
    return dataclasses.replace(
        first,
        **_second_placement(),
        sip_agent_password=secrets.token_hex(12),
        cluster_peers=f"{BOX_A}={first.sip_host}:{first.sip_port}",
    )


def copy_rootfs(source: Path, target: Path, mirror: str) -> None:
    """Box B's root filesystem from box A's (``cp -a``, ~4 s), unless already current.
    ``--one-file-system`` leaves out box A's bind-mounted /proc and /dev."""
    if rootfs.is_current(target, mirror):
        return
    target.mkdir(parents=True, exist_ok=True)
    with rootfs.locked(target):
        if (target / "rootfs").exists():
            rootfs.remove_tree(target / "rootfs")
        subprocess.run(
            ["cp", "-a", "--one-file-system", str(source / "rootfs"), str(target / "rootfs")],
            check=True,
        )
        for sub in ("proc", "dev"):
            (target / "rootfs" / sub).mkdir(exist_ok=True)
        (target / "rootfs.stamp").write_text((source / "rootfs.stamp").read_text())


@pytest.fixture(scope="session")
def second_box(engine_settings: Settings, sandbox):
    """Box B: a second sandbox Asterisk on its own ports, up for the whole session."""
    from engine.sandbox.asterisk import Sandbox

    settings = second_box_settings(engine_settings)
    copy_rootfs(
        Path(engine_settings.sandbox_dir), Path(settings.sandbox_dir), settings.sandbox_mirror
    )
    box = Sandbox(settings)
    box.up()
    yield box
    if os.environ.get("TENURE_KEEP_SANDBOX") != "1":
        box.down()


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))  # a TOML basic string


class EngineProcess:
    """``python -m engine run`` with ``settings`` written to a config file: a real
    process, so a test can kill it the hard way."""

    def __init__(self, settings: Settings, folder: Path) -> None:
        self.settings = settings
        self.config = folder / f"engine-{settings.instance_id}-{settings.http_port}.toml"
        self.log = self.config.with_suffix(".log")
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self) -> None:
        lines = [
            f"{f.name} = {toml_value(getattr(self.settings, f.name))}"
            for f in dataclasses.fields(self.settings)
        ]
        self.config.write_text("\n".join(lines) + "\n")
        # the config file says everything: no ENGINE_* variable of the test run overrides it
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENGINE_")}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "engine", "--config", str(self.config), "run"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.http_port}"

    async def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.settings.api_token}"}
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, self.url + path, json=body, headers=headers) as resp,
        ):
            return resp.status, await resp.json(content_type=None)

    async def started(self, timeout: float = 60.0) -> None:
        """Wait until the engine is connected to its Asterisk (fails with its log)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"engine exited {self.proc.returncode}: {self.tail()}")
            with contextlib.suppress(aiohttp.ClientError, OSError):
                status, body = await self.api("GET", "/status")
                if status == 200 and body["ari"]["connected"]:
                    return
            await asyncio.sleep(0.2)
        raise AssertionError(f"engine did not start in {timeout} s: {self.tail()}")

    async def exited(self, timeout: float = 30.0) -> int:
        assert self.proc is not None
        return await asyncio.to_thread(self.proc.wait, timeout)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no clean-up (a crash, an OOM kill, a pulled plug)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@pytest.fixture
async def engine_processes(
    tmp_path: Path, redis_url: str, redis_client
) -> AsyncIterator[Callable[..., Awaitable[EngineProcess]]]:
    """Start engines as processes: ``await start(settings, instance_id=..., ...)``; every
    one is stopped at the end of the test."""
    from tests.conftest import free_port

    made: list[EngineProcess] = []

    async def start(settings: Settings, wait: bool = True, **overrides: Any) -> EngineProcess:
        proc = EngineProcess(
            dataclasses.replace(settings, redis_url=redis_url, http_port=free_port(), **overrides),
            tmp_path,
        )
        made.append(proc)
        proc.spawn()
        if wait:
            await proc.started()
        return proc

    yield start
    for proc in made:
        proc.stop()


def placement(box: Any) -> dict[str, Any]:
    """The settings that put an engine next to ``box`` (a started ``Sandbox``)."""
    return {name: getattr(box.settings, name) for name in SECOND_BOX}


@pytest.fixture
async def ari_b(second_box) -> AsyncIterator[Any]:
    """An ARI client on box B; every channel and bridge left there is removed after."""
    from engine.ari.client import AriClient
    from tests.conftest import _hang_up_everything

    s = second_box.settings
    client = AriClient(s.ari_url, s.ari_user, s.ari_password)
    yield client
    await _hang_up_everything(client)
    await client.close()


def phone_ports(box: Settings) -> tuple[int, int, tuple[int, int]]:
    """A box's agent phone's SIP port (udp/tcp; tls the next one), ctrl_tcp port and RTP
    range: from the last 100 ports of the box's own media range, like the real-phone
    tests (tests/integration/test_real_phones.py), never from the ephemeral range."""
    base = box.media_port_end - 99
    return base, base + 10, (base + 20, base + 39)


class Phone(Baresip):
    """A real SIP phone (baresip from Debian) that registers ``number`` on a box and
    answers by itself with a 440 Hz tone; its own loopback address so no box takes it
    for a peer, and ports from the box's own range (``phone_ports``)."""

    def __init__(self, folder: Path, number: str, box: Settings, addr: str = "127.0.0.9") -> None:
        sip, ctrl, rtp = phone_ports(box)
        super().__init__(
            f"phone-{number}",
            addr,
            sip,
            ctrl,
            folder,
            accounts=[
                f"<sip:{number}@{box.sip_host}:{box.sip_port}>;"
                f"auth_pass={box.sip_agent_password};answermode=auto;regint=60"
            ],
            source="ausine,440",
            rtp=rtp,  # unused: speech off
            modules=("g711", "ausine", "account", "ctrl_tcp"),
        )
        self.number, self.box = number, box
