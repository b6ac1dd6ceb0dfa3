"""The desk's softphone for real (issue 15 part 4): headless Chromium with a fake
microphone playing a 1000 Hz tone logs in as an agent whose phone is the browser
(``endpoint: PJSIP/1001-webrtc``), registers with JsSIP over Asterisk's SIP WebSocket,
rings when a caller comes through the IVR and is offered to the agent, answers
(WebRTC: ICE on loopback, DTLS-SRTP), and the audio is checked in both directions by
frequency: the browser hears the caller's 450 Hz tone (WebAudio on the remote stream),
the caller hears the browser's 1000 Hz (recorded on the caller's channel). Mute silences
the agent; hanging up in the browser ends the call in the engine.

Same session browser, sandbox Asterisk, Redis and engine fixtures as the other tests.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from pathlib import Path

import aiohttp
import pytest

from engine.sim import parties
from engine.softphone import credentials
from engine.users import store
from engine.users.service import user_row
from tests.conftest import BROWSER_TONE_HZ, TEST_SKILLS
from tests.integration.helpers import wait_for
from tests.integration.test_desk_browser import PASSWORD, _base, _login, _shot
from tests.integration.tones import level, read_wav

pytestmark = pytest.mark.integration
CALLER_TONE_HZ = 450.0
CALLER = "13700000015"
AGENTS = """skills: [technical, billing, general]
groups: [platinum, technical, billing, general]
agents:
  - {id: "1001", name: Ana Softphone, endpoint: PJSIP/1001-webrtc, languages: [en, zh],
     skills: {billing: 4, general: 4}, groups: [general], auto_login: true}
  - {id: "1002", name: Ben Deskphone, endpoint: Local/1002@sim-agents, languages: [en],
     skills: {technical: 4}, groups: [technical], auto_login: false}
"""

# What the page hears: the remote stream through a WebAudio analyser, ``seconds`` of
# samples at the context's rate (taken in analyser-sized blocks).
HEAR = """async (seconds) => {
  const stream = document.getElementById("phone-audio").srcObject;
  const ctx = new AudioContext();
  await ctx.resume();
  const an = ctx.createAnalyser();
  an.fftSize = 2048;
  ctx.createMediaStreamSource(stream).connect(an);
  const out = [], block = new Float32Array(an.fftSize);
  const blockMs = 1000 * an.fftSize / ctx.sampleRate;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, blockMs));
    an.getFloatTimeDomainData(block);
    out.push(Array.from(block));
  }
  await ctx.close();
  return { rate: ctx.sampleRate, blocks: out };
}"""


@pytest.fixture
async def softphone_engine(engine_factory, sandbox, tmp_path):
    skills = tmp_path / "skills"
    shutil.copytree(TEST_SKILLS, skills)
    (skills / "agents.yaml").write_text(AGENTS)
    engine = await engine_factory(skills_dir=str(skills), database_path=str(tmp_path / "e.db"))
    now = time.time()
    for name, agent in (("ana", "1001"), ("ben", "1002")):
        await engine.db.run(store.add_user, user_row(name, "agent", agent, "en", PASSWORD, now))
    return engine


def _browser_heard(result: dict) -> tuple[int, int]:  # type: ignore[type-arg]
    blocks = result["blocks"]
    return sum(1 for b in blocks if level(b, result["rate"], CALLER_TONE_HZ) >= 0.5), len(blocks)


def _timeline(path: Path, window: float = 0.2) -> str:
    """One letter per ``window`` seconds of a recording: T the browser's tone, . silence,
    ? anything else (e.g. "TTTTTT....TTTT": heard, muted, heard again)."""
    samples, rate = read_wav(path)
    size = int(rate * window)
    out = []
    for i in range(0, len(samples) - size + 1, size):
        block = samples[i : i + size]
        if level(block, rate, BROWSER_TONE_HZ) >= 0.5:
            out.append("T")
        else:
            out.append("." if sum(x * x for x in block) / size < 1e-5 else "?")
    return "".join(out)


async def test_agent_answers_in_the_browser_with_two_way_audio(
    softphone_engine, browser, ari, sandbox, tmp_path
):
    engine = softphone_engine
    monitor = sandbox.root / "var" / "spool" / "asterisk" / "monitor"
    heard = monitor / f"softphone-{CALLER}-heard.wav"
    for old in monitor.glob(f"softphone-{CALLER}*"):
        old.unlink()
    context, desk = await _login(browser, engine, "ana")
    try:
        await desk.wait_for_selector("#phone[data-state=registered]", timeout=15_000)
        assert await desk.text_content("#phone-state") == "Registered"

        # a caller goes through the IVR (key 2: billing), is offered to agent 1001, whose
        # browser rings; the agent answers there
        params = parties.caller(
            "8000", CALLER, dtmf="2", tone=f"{CALLER_TONE_HZ:g}", record=f"softphone-{CALLER}"
        )
        await ari.originate(params.pop("endpoint"), channelId="softphone-caller", **params)
        await desk.wait_for_selector("#phone[data-state=ringing]", timeout=30_000)
        assert await desk.text_content("#phone-peer") == CALLER
        await desk.click("#phone-answer")
        await desk.wait_for_selector("#phone[data-state=in_call]", timeout=10_000)
        channels = [c["name"] for c in await ari.channels()]
        assert any(n.startswith("PJSIP/1001-webrtc-") for n in channels), channels
        await desk.wait_for_selector("#agent-state:has-text('on a call')", timeout=5_000)

        shot = tmp_path / "softphone.png"
        await desk.screenshot(path=str(shot), full_page=True)
        _shot(shot, "softphone.png")

        # the browser hears the caller's tone
        hits, blocks = _browser_heard(await desk.evaluate(HEAR, 2.0))
        assert blocks >= 20 and hits >= 0.8 * blocks, (hits, blocks)

        # muted a while, then not; then the agent hangs up in the browser
        await desk.click("#phone-mute")
        assert await desk.text_content("#phone-mute") == "Unmute"
        await asyncio.sleep(1.5)
        await desk.click("#phone-mute")
        assert await desk.text_content("#phone-mute") == "Mute"
        await asyncio.sleep(2.0)
        await desk.click("#phone-hangup")
        await desk.wait_for_selector("#phone[data-state=registered]", timeout=10_000)

        async def caller_gone() -> bool:
            return not any(c["id"].startswith("softphone-caller") for c in await ari.channels())

        await wait_for(caller_gone, timeout=10, what="the caller's channel hung up")
        await wait_for(heard.exists, timeout=5, what="the caller's recording")
    finally:
        await context.close()

    # the caller heard the browser's tone, nothing while the agent was muted, then the
    # tone again
    timeline = _timeline(heard)
    print("caller heard:", timeline)
    assert re.search(r"T{8,}.*\.{4,}.*T{6,}", timeline), timeline
    assert timeline.count("T") >= 0.6 * len(timeline), timeline


async def test_softphone_credentials_go_to_their_agent_only(softphone_engine, browser):
    """The SIP password reaches the browser of the agent whose phone it is, logged in;
    another agent (a desk phone) and a request without a session get none."""
    engine = softphone_engine
    async with aiohttp.ClientSession() as http, http.get(_base(engine) + "/desk/softphone") as r:
        assert r.status == 401
    for name, status in (("ana", 200), ("ben", 404)):
        context, page = await _login(browser, engine, name)
        try:
            resp = await page.request.get(_base(engine) + "/desk/softphone")
            assert resp.status == status, name
            if status == 200:
                body = await resp.json()
                assert body["username"] == "1001-webrtc"
                assert body["password"] == credentials.password(
                    engine.settings.softphone_secret, "1001-webrtc"
                )
                assert resp.headers["cache-control"] == "no-store"
            else:
                assert await page.locator("#phone").is_hidden()
        finally:
            await context.close()
