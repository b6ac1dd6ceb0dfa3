"""Benchmark: how soon a change reaches the agent desk and the wallboard in a real browser.

Starts a private redis-server, the sandbox Asterisk and the engine (in this process), logs
an agent and a supervisor in with Debian's headless Chromium (Playwright), then publishes
N changes on the Redis channels the engine's producers use: transcript lines of the
agent's call (``<prefix>:transcripts:<call>``) and live-call batches
(``<prefix>:events:calls``). Each page notes (MutationObserver, ``Date.now()``) when the
line or row appears; the latency is that moment minus the publish time (one machine, one
clock). Prints p50/p90/p99/max per page; ``--json`` prints them machine-readable.

    ENGINE_SANDBOX_DIR=... ENGINE_ARI_URL=... python benchmarks/desk_latency.py --n 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.inbound_calls import free_port, percentile  # noqa: E402
from engine import settings as settings_mod  # noqa: E402
from engine.users import store  # noqa: E402
from engine.users.service import user_row  # noqa: E402

PASSWORD = "bench-password"
OBSERVE = """(sel) => { window.__seen = {}; new MutationObserver(() => {
  for (const n of document.querySelectorAll(sel)) {
    const k = n.textContent.match(/m\\d+/);
    if (k && !(k[0] in window.__seen)) window.__seen[k[0]] = Date.now();
  } }).observe(document.body, {subtree: true, childList: true, characterData: true}); }"""


async def login(browser, base: str, name: str):  # type: ignore[no-untyped-def]
    page = await (await browser.new_context()).new_page()
    await page.goto(base + "/login")
    await page.fill("input[name=name]", name)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("#conn.live")
    return page


async def run(n: int, gap: float) -> dict[str, dict[str, float]]:
    from playwright.async_api import async_playwright

    from engine.app import Engine
    from engine.sandbox.asterisk import Sandbox
    from engine.sandbox.redis import RedisServer

    work = Path(tempfile.mkdtemp(prefix="tenure-desk-bench-"))
    redis = RedisServer(free_port(), work / "redis")
    redis.start()
    placement = {k: v for k, v in os.environ.items() if k.startswith("ENGINE_")}
    settings = settings_mod.load(
        None,
        environ=placement,
        ari_password=secrets.token_hex(16),
        ami_secret=secrets.token_hex(16),
        api_token=secrets.token_hex(24),
        database_path=str(work / "engine.db"),
        skills_dir=str(ROOT / "tests" / "integration" / "skills"),
        http_port=free_port(),
        redis_url=str(redis.url),
        speech_enabled=False,
        log_level="error",
    )
    sandbox = Sandbox(settings)
    sandbox.up()
    engine = Engine(settings)
    await engine.start()
    now = time.time()
    for name, role, agent in (("li", "agent", "2003"), ("wang", "supervisor", None)):
        await engine.db.run(store.add_user, user_row(name, role, agent, "en", PASSWORD, now))
    base = f"http://{settings.http_host}:{settings.http_port}"
    prefix, call = settings.redis_prefix, "bench-call"
    results: dict[str, dict[str, float]] = {}
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox"]
            )
            desk, wall = await login(browser, base, "li"), await login(browser, base, "wang")
            card = {"type": "call", "call_id": call, "caller_number": "13800000000"}
            await engine.redis.publish(f"{prefix}:agent:2003", orjson.dumps(card))
            await desk.wait_for_selector("#pop:not([hidden])")
            await desk.evaluate(OBSERVE, "#transcript li")
            await wall.evaluate(OBSERVE, "#calls tbody tr")
            sent: dict[str, float] = {}
            for i in range(n):
                key = f"m{i}"
                line = {"type": "transcript", "call_id": call, "role": "caller", "text": key}
                snap = {
                    "id": f"c-{key}",
                    "status": "connected",
                    "caller_number": key,
                    "agent_id": "2003",
                    "emotion_alerts": 0,
                }
                sent[key] = time.time() * 1000
                await engine.redis.publish(f"{prefix}:transcripts:{call}", orjson.dumps(line))
                await engine.redis.publish(f"{prefix}:events:calls", orjson.dumps([snap]))
                await asyncio.sleep(gap)
            await asyncio.sleep(2.0)
            for label, page in (("desk", desk), ("wallboard", wall)):
                seen = await page.evaluate("window.__seen")
                lat = [seen[k] - t for k, t in sent.items() if k in seen]
                results[label] = {
                    "messages": n,
                    "arrived": len(lat),
                    "p50_ms": percentile(lat, 50),
                    "p90_ms": percentile(lat, 90),
                    "p99_ms": percentile(lat, 99),
                    "max_ms": max(lat),
                }
            await browser.close()
    finally:
        await engine.stop()
        sandbox.down()
        redis.stop()
        shutil.rmtree(work, ignore_errors=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="changes published per page")
    parser.add_argument("--gap", type=float, default=0.05, help="seconds between changes")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(run(args.n, args.gap))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for label, r in results.items():
        print(
            f"{label:10s} {r['arrived']}/{r['messages']} arrived  p50 {r['p50_ms']:.0f} ms  "
            f"p90 {r['p90_ms']:.0f} ms  p99 {r['p99_ms']:.0f} ms  max {r['max_ms']:.0f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
