"""The agent desk and the supervisor wallboard in a real headless Chromium (issue 14),
against the real engine on the sandbox Asterisk with real Redis and SQLite.

An agent logs in; a simulated caller reaches them and the desk shows the screen pop with
the customer's risk reasons; transcript lines published on the call's channel appear (and,
in ``test_real_speech_reaches_the_desk``, lines the engine recognised from a caller really
speaking, with the emotion meter); the
disposition is stored as an intervention; a supervisor sees the call on the wallboard,
with its emotion alert, and whispers into it from their phone (a bridge seen through ARI);
the agent cannot open another desk or the wallboard. Supervisors in English and Chinese see
on an agent's row that this box cannot reach the phone (an offer failed with congestion)
until the exclusion ends. Screenshots of both pages are written
to the test's folder (the path is printed) and, with TENURE_README_SHOTS=1, to docs/img.

One browser serves the whole session (``browser`` fixture, tests/conftest.py); each test
opens its own contexts (cookies). Chromium is Debian's (``/usr/bin/chromium``), driven by
Playwright.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import time
from pathlib import Path

import orjson
import pytest

from engine.calls.actions import ShowEmotion
from engine.calls.ports import Caller
from engine.sim import parties
from engine.speech import messages
from engine.users import store
from engine.users.service import user_row
from engine.web import history
from tests.integration import test_screenpop as screenpop_tests
from tests.integration import test_speech_calls as speech_tests
from tests.integration.helpers import one_agent_skills, place_caller, sim_globals, wait_for
from tests.integration.test_screenpop import CUSTOMER, NUMBER
from tests.storedb import query

pytestmark = pytest.mark.integration
# the live-speech fixtures (engine with the model, espeak voices in the sandbox)
speech_engine = speech_tests.speech_engine
speech_skills = speech_tests.speech_skills
voices = speech_tests.voices
speech_place_caller = speech_tests.place_caller
PASSWORD = "desk-test-password"
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
SUPERVISOR_PHONE = "Local/2999@sim-agents"


screen_engine = screenpop_tests.screen_engine  # the seeded customer and her profile


@pytest.fixture
async def desk_engine(screen_engine):
    now = time.time()
    for name, role, agent in (("li", "agent", "2003"), ("wang", "supervisor", None)):
        await screen_engine.db.run(store.add_user, user_row(name, role, agent, "en", PASSWORD, now))
    return screen_engine


def _base(engine) -> str:  # type: ignore[no-untyped-def]
    return f"http://{engine.settings.http_host}:{engine.settings.http_port}"


async def _login(browser, engine, name: str):  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.on("pageerror", lambda exc: print(f"{name} page error: {exc}"))
    page.on("console", lambda msg: print(f"{name} console: {msg.text}"))
    await page.goto(_base(engine) + "/login")
    await page.fill("input[name=name]", name)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_load_state()
    return context, page


def _shot(path: Path, name: str) -> None:
    print(f"screenshot: {path}")
    if os.environ.get("TENURE_README_SHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_IMG / name)


async def _an_hour_of_history(engine) -> int:  # type: ignore[no-untyped-def]
    """Write the last hour into the engine's history ring, as its sampling task would have
    over an hour of traffic (the test runs for seconds; the chart must start full)."""
    recorder, now = engine.wallboard_history, time.time()
    names = sorted(engine.router.config.queues)
    for i in range(history.CAPACITY - 1):
        at = now - (history.CAPACITY - 1 - i) * history.STEP
        wave = 1 + math.sin(i / 18)
        queues = [
            {
                "queue": q,
                "waiting": round(wave * (3 + 2 * n)),
                "service_level": round(96 - 14 * wave * (n + 1) / len(names), 1),
                "abandoned": i // 40,
            }
            for n, q in enumerate(names)
        ]
        rate = {"progress": {"abandon": {"rate": round(0.012 + 0.01 * wave, 4)}}}
        await recorder.write(history.sample(at, queues, [rate]))
    return history.CAPACITY - 1


def _speech_says(call_id: str, agent_id: str, score: float, label: str) -> list[tuple[str, dict]]:
    """What live speech publishes for a caller's sharp rise (engine/speech/calls.py)."""
    action = ShowEmotion(call_id, score, label, score, time.time(), agent_id, CUSTOMER, 1, 0.2)
    return [
        ("transcripts:" + call_id, messages.emotion_message(action)),
        ("events:emotion", messages.alert(action)),
        ("agent:" + agent_id, messages.hint(action)),
    ]


async def test_agent_desk_and_supervisor_wallboard(desk_engine, browser, ari, tmp_path):
    engine = desk_engine
    seeded = await _an_hour_of_history(engine)
    agent_ctx, desk = await _login(browser, engine, "li")
    sup_ctx, wall = await _login(browser, engine, "wang")
    try:
        assert desk.url.endswith("/desk") and wall.url.endswith("/wallboard")
        await desk.wait_for_selector("#conn.live")
        await wall.wait_for_selector("#conn.live")
        assert await desk.text_content("#agent-state") == "available"

        # a caller reaches agent 2003: the screen pop with the risk reasons appears
        await place_caller(ari, "8000", NUMBER, dtmf="2")
        await desk.wait_for_selector("#pop-reasons li", timeout=30_000)
        reasons = await desk.locator("#pop-reasons li").all_text_contents()
        assert any("unresolved-complaint" in r or "complaint" in r for r in reasons), reasons
        assert await desk.text_content("#pop-name") == "Chen Jing"
        assert "high" in (await desk.text_content("#pop-risk") or "")
        orders = await desk.locator("#pop-orders li").all_text_contents()
        assert [o.split(" · ")[0] for o in orders] == ["o-late", "o-recent"]
        call_id = await desk.input_value("#disposition [name=call_id]")
        assert call_id

        # transcript lines, as live speech publishes them
        prefix = engine.settings.redis_prefix
        for role, text in (("caller", "我被扣了两次钱"), ("agent", "我马上帮您处理")):
            line = {"type": "transcript", "call_id": call_id, "role": role, "text": text}
            await engine.redis.publish(f"{prefix}:transcripts:{call_id}", orjson.dumps(line))
        await desk.wait_for_function(
            "document.querySelectorAll('#transcript li').length >= 2", timeout=5_000
        )
        assert await desk.locator("#transcript li").all_text_contents() == [
            "我被扣了两次钱",
            "我马上帮您处理",
        ]

        # hints read as words: the VIP tier routing attached to the offer
        vip = "VIP caller, tier at-risk: give them priority service."
        await desk.wait_for_selector(f"#hints li:has-text('{vip}')", timeout=5_000)
        assert "kind:" not in (await desk.text_content("#hints") or "")

        # the caller's voice rises: the desk's meter fills and a hint says what to do; the
        # supervisor sees the call with its emotion alert, and whispers into it
        row = wall.locator("#calls tbody tr", has_text=NUMBER)
        await row.wait_for(timeout=10_000)
        for channel, message in _speech_says(call_id, "2003", 0.9, "angry"):
            await engine.redis.publish(f"{prefix}:{channel}", orjson.dumps(message))
        await desk.wait_for_function(
            "document.getElementById('emotion').value >= 0.9", timeout=5_000
        )
        assert await desk.text_content("#emotion-label") == "angry 0.9"
        await desk.wait_for_selector("#hints li:has-text('The caller sounds angry (0.9)')")
        await wall.wait_for_selector("#calls tbody tr.alert", timeout=5_000)
        assert "angry 0.9" in (await row.text_content() or "")

        # the charts start from the engine's last hour, not from an empty page
        lines = await wall.eval_on_selector_all(
            "#charts polyline", "ps => ps.map(p => p.getAttribute('points').split(' ').length)"
        )
        # (the newest slot may be the engine's own sample: no service level without calls)
        assert len(lines) >= 3 and min(lines) >= seeded - 1, lines
        await wall.evaluate(f"localStorage.setItem('tenure.phone', '{SUPERVISOR_PHONE}')")
        await row.get_by_role("button", name="Whisper").click()

        async def monitor_bridge() -> list[str] | None:
            for bridge in await ari.bridges():
                if bridge["id"].startswith("monitor-") and len(bridge["channels"]) == 2:
                    return list(bridge["channels"])
            return None

        legs = await wait_for(monitor_bridge, timeout=15, what="the whisper bridge")
        channels = {c["id"]: c for c in await ari.channels()}
        assert any(channels[leg]["name"].startswith("Snoop/") for leg in legs), legs
        assert any(leg.startswith("sup-") for leg in legs), legs
        await wall.wait_for_selector("#audit li", timeout=5_000)
        assert "call.whisper" in (await wall.text_content("#audit") or "")

        desk_shot, wall_shot = tmp_path / "desk.png", tmp_path / "wallboard.png"
        await desk.screenshot(path=str(desk_shot), full_page=True)
        await wall.screenshot(path=str(wall_shot), full_page=True)
        _shot(desk_shot, "desk.png")
        _shot(wall_shot, "wallboard.png")

        # the agent records the outcome: an intervention, and the risk re-scored
        await desk.check("#disposition input[value=accepted]")
        await desk.click("#disposition button[type=submit]")
        await desk.wait_for_selector("#dispo-result:has-text('Saved.')", timeout=5_000)
        rows = await engine.db.run(
            lambda d: query(
                d,
                "SELECT * FROM interventions WHERE kind = 'call.disposition' AND customer_id = ?",
                CUSTOMER,
            )
        )
        assert [(r["outcome"], r["by"]) for r in rows] == [("accepted", "li")]
        assert orjson.loads(rows[0]["details"])["call_id"] == call_id

        async def rescored() -> bool:
            risk = await engine.db.run(
                lambda d: query(d, "SELECT scored_at FROM risk WHERE customer_id = ?", CUSTOMER)
            )
            return bool(risk and risk[0]["scored_at"])

        await wait_for(rescored, timeout=10, what="the customer's risk re-scored")

        # the agent switches the UI to Chinese; it stays their setting
        await desk.click("header button[name=lang]")
        await desk.wait_for_selector("h1:has-text('坐席工作台')")
        assert await desk.text_content("#disposition button[type=submit]") == "保存"

        # the agent may not open another desk nor the wallboard
        for path in ("/wallboard", "/desk?agent=2001"):
            response = await desk.goto(_base(engine) + path)
            assert response is not None and response.status == 403, path
            assert "Forbidden" in await desk.content()
    finally:
        await agent_ctx.close()
        await sup_ctx.close()


async def test_real_speech_reaches_the_desk(speech_engine, browser, ari, voices):
    """Live speech for real: a caller speaks Mandarin (espeak-ng), the engine transcribes
    both legs with the Vosk model and scores emotion; the desk shows the lines and the
    emotion meter moves. Costly (real recognition), so one call only."""
    customer = Caller("cust-desk-speech", name="Wang", language="zh")
    engine = await speech_engine({"13900000077": customer})
    await engine.db.run(
        store.add_user, user_row("zhou", "agent", "2001", "zh", PASSWORD, time.time())
    )
    context, desk = await _login(browser, engine, "zhou")
    try:
        async with sim_globals(ari, parties.agent_speech(voices["st-agent"], delay=1.0)):
            await desk.wait_for_selector("#conn.live")
            await speech_place_caller(
                ari,
                "8000",
                "13900000077",
                wav_delay=1.0,
                wav=[
                    voices["st-jishu"],
                    "silence/8",
                    voices["st-calm1"],
                    "silence/1",
                    voices["st-angry"],
                    "silence/2",
                ],
            )
            await desk.wait_for_selector("#pop:not([hidden])", timeout=25_000)
            await desk.wait_for_selector("#transcript li.caller", timeout=45_000)
            await desk.wait_for_selector("#transcript li.agent", timeout=30_000)
            await desk.wait_for_function(
                "document.getElementById('emotion').value > 0", timeout=30_000
            )
            lines = await desk.locator("#transcript li").all_text_contents()
            assert all(line.strip() for line in lines), lines
    finally:
        await context.close()


EXCLUDE = 12.0  # offer_exclude_seconds of the exclusion test


async def test_the_wallboard_shows_which_boxes_cannot_reach_an_agent(
    engine_factory, browser, ari, tmp_path
):
    """This box's dial to agent 2003 fails with congestion: the agent stays available
    but gets no offers from this box for offer_exclude_seconds. Supervisors reading the
    wallboard in English and in Chinese see it on the agent's row as it happens, with the
    seconds left, and see it go when it ends (no reload)."""
    skills = one_agent_skills(tmp_path / "skills", "2003", "Local/2003@sim-agents")
    engine = await engine_factory(
        instance_id="box-a",
        offer_exclude_seconds=EXCLUDE,
        database_path=str(tmp_path / "engine.db"),
        **skills,
    )
    now = time.time()
    for name, lang in (("wang", "en"), ("zhang", "zh")):
        await engine.db.run(store.add_user, user_row(name, "supervisor", None, lang, PASSWORD, now))
    en_ctx, en = await _login(browser, engine, "wang")
    zh_ctx, zh = await _login(browser, engine, "zhang")
    pages = {
        en: ("available", r"^no offers from box-a: congestion \((\d+) s\)$"),
        zh: ("空闲", r"^box-a 暂不分配来电：线路拥塞（(\d+) 秒）$"),
    }
    try:
        for page in pages:
            await page.wait_for_selector("#conn.live")
            await page.locator("#agents tbody tr", has_text="Only Agent").wait_for()
            assert await page.locator("#agents .excluded").count() == 0
        async with sim_globals(ari, parties.agent_globals("2003", "congestion")):
            caller = await place_caller(ari, "8100", "13800138906")
            try:
                for page, (available, line) in pages.items():
                    shown = page.locator("#agents tbody tr .excluded[data-box='box-a']")
                    await shown.wait_for(timeout=15_000)
                    text = await shown.text_content() or ""
                    left = re.match(line, text)
                    assert left and 0 < int(left[1]) <= EXCLUDE, text
                    # under the state, which is not paused nor given a pause reason
                    state = page.locator("#agents tbody tr td:nth-child(2)")
                    assert await state.text_content() == available + text
                await en.screenshot(path=str(tmp_path / "wallboard-excluded.png"), full_page=True)
            finally:
                await ari.hangup(caller)  # no call waits: the agent is not dialled again
        for page in pages:  # the exclusion ends: the line goes by itself
            await page.wait_for_selector("#agents .excluded", state="detached", timeout=20_000)
        agent = next(a for a in await engine.router.presence.list() if a["id"] == "2003")
        assert agent["state"] == "available" and agent["excluded"] == {}
    finally:
        await en_ctx.close()
        await zh_ctx.close()
