"""Speech on live calls (issue 6): call-control latency while transcription is saturated,
and end of speech -> intent through Asterisk, snoop, externalMedia and the media server.

One run, one engine (in this process, with speech on), the sandbox Asterisk and a
private Redis. Idle and saturated phases alternate (``--rounds``), so the rest of the
machine's load falls on both alike:
  idle        N calls on a DID straight to a queue: StasisStart -> bridged, the
              simulated agent's answer delay taken out (as benchmarks/inbound_calls.py);
  saturated   the same N calls while K free-form legs (3 per worker: more than the
              workers can decode) stream RTP into the engine's media server from a
              separate process; plus a 10 ms timer probe on the engine's loop;
  intent      M IVR calls whose caller says 技术支持 (espeak-ng) over the prompt, idle
              and saturated: the arrival of the utterance's last audible frame at the
              media server -> the intent reaching the call on the event loop.
Figures: p50/p99 per phase, the saturated/idle ratio (target: within 20%), intent
latency p50/max (target <= 300 ms), the recognition pool's degradation.

    ENGINE_SANDBOX_DIR=... python benchmarks/speech_calls.py [--calls 30] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.speech_calls_load import (
    loudness,
    place,
    rtp_streams,
    summary,
    talk_pcm,
    write_skills,
)
from benchmarks.speech_load import loop_probe
from engine import settings as settings_mod
from engine.logs import configure_logging
from engine.sim.voices import say
from engine.speech.legs import LegListener


async def control_phase(engine, ari, n: int, rate: float) -> list[float]:
    """StasisStart -> bridged of ``n`` calls, the simulated agent's answer delay taken out."""
    since = time.time()
    await place(ari, "8100", n, rate, hold=1.5)
    records = await _wait_ended(engine, since, n)
    return [
        (r["connected_at"] - r["arrived_at"]) - (r["agent_answered_at"] - r["agent_dialed_at"])
        for r in records
        if r.get("connected_at")
    ]


async def intent_phase(engine, ari, sound: str, n: int) -> dict:
    """End of speech -> intent: from the arrival of the last audible frame of the caller's
    utterance at the media server to the intent reaching the call on the event loop."""
    got: list[tuple[float, str | None]] = []
    original, feed = engine.speech.calls._transcript, LegListener.feed
    last_loud: dict[int, float] = {}

    def timed_feed(leg, pcm: bytes) -> None:
        if loudness(pcm) > 40.0:  # dB of int16 RMS: speech, not silence
            last_loud[id(leg)] = time.time()
        feed(leg, pcm)

    def spy(leg, t):
        if t.kind == "final" and t.menu and id(leg.listener) in last_loud:
            got.append((time.time() - last_loud[id(leg.listener)], t.intent))
        original(leg, t)

    engine.speech.calls._transcript, LegListener.feed = spy, timed_feed
    since = time.time()
    try:
        await place(ari, "8000", n, 0.7, hold=1.0, wav=[sound, "silence/1"])
        await _wait_ended(engine, since, n)
    finally:
        engine.speech.calls._transcript, LegListener.feed = original, feed
    correct = sum(1 for _, intent in got if intent == "technical")
    return {"calls": n, "correct": correct, **summary([x for x, _ in got])}


async def _wait_ended(engine, since: float, n: int, timeout: float = 120.0) -> list[dict]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        rows = [r for r in await engine.records.recent(1000) if r["arrived_at"] >= since]
        if len([r for r in rows if r.get("ended_at")]) >= n:
            return rows
        await asyncio.sleep(0.5)
    return rows


async def stop_saturating(legs, sender) -> None:
    sender.terminate()
    sender.join(5)
    for leg in legs:
        await leg.stop()


async def saturate(engine, pcm: bytes, streams: int, seconds: float):
    """K free-form legs fed over RTP by another process, as calls would feed them."""
    legs = [
        await LegListener.open(
            engine.speech.media,
            engine.speech.service,
            f"load-{i}",
            role="agent" if i % 2 else "caller",
            lang="zh",
            on_transcript=lambda t: None,
        )
        for i in range(streams)
    ]
    ports = [leg.media_leg.port for leg in legs]
    sender = multiprocessing.get_context("spawn").Process(
        target=rtp_streams, args=(pcm, ports, seconds), daemon=True
    )
    sender.start()
    return legs, sender


async def run(args: argparse.Namespace) -> dict:
    from engine.app import Engine
    from engine.ari.client import AriClient
    from engine.sandbox.asterisk import Sandbox
    from engine.sandbox.redis import RedisServer

    work = Path(tempfile.mkdtemp(prefix="tenure-speech-bench-"))
    base = settings_mod.load(args.config)
    secret = {
        k: getattr(base, k) or secrets.token_hex(12)
        for k in ("ari_password", "ami_secret", "api_token")
    }
    base = dataclasses.replace(base, **secret)
    sandbox = Sandbox(base)
    was_up = sandbox.pid() is not None  # leave the machine as it was found
    sandbox.up()
    redis = RedisServer(_free_port(), work / "redis")
    redis.start()
    write_skills(work / "skills", agents=args.calls + 10)
    sound = say(sandbox.sounds_dir, "bench-jishu", "ji4 shu4 zhi1 chi2")
    settings = dataclasses.replace(
        base,
        redis_url=str(redis.url),
        database_path=str(work / "engine.db"),
        skills_dir=str(work / "skills"),
        http_port=_free_port(),
        speech_enabled=True,
        log_level="error",
    )
    engine = Engine(settings)
    await engine.start()
    ari = AriClient(settings.ari_url, settings.ari_user, settings.ari_password)
    out: dict = {
        "cores": os.cpu_count(),
        "workers": engine.speech.service.pool.workers,
        "load_before": round(os.getloadavg()[0], 2),
    }
    try:
        await ari.set_global("SIM_AGENT_DELAY", "0.2")
        await asyncio.sleep(2.0)
        streams = out["saturating_streams"] = 3 * engine.speech.service.pool.workers
        pcm, idle, busy = talk_pcm(), [], []
        for n in range(args.rounds):  # alternating, so the machine's other load evens out
            idle += await control_phase(engine, ari, args.calls, args.rate)
            if n == 0:
                out["intent_idle"] = await intent_phase(engine, ari, sound, args.ivr_calls)
                out["probe_idle"] = await loop_probe(3.0)
            legs, sender = await saturate(engine, pcm, streams, args.seconds)
            await asyncio.sleep(3.0)  # let the backlog build
            probe = asyncio.create_task(loop_probe(3.0)) if n == 0 else None
            busy += await control_phase(engine, ari, args.calls, args.rate)
            if n == 0:
                out["intent_saturated"] = await intent_phase(engine, ari, sound, args.ivr_calls)
                out["probe_saturated"] = await probe
                out["recognition"] = engine.speech.service.pool.stats()
            await stop_saturating(legs, sender)
        out["idle"], out["saturated"] = summary(idle), summary(busy)
    finally:
        await ari.set_global("SIM_AGENT_DELAY", "")
        await ari.close()
        await engine.stop()
        redis.stop()
        if not was_up:
            sandbox.down()
    ratio = lambda k: round(out["saturated"][k] / max(out["idle"][k], 1e-9), 3)  # noqa: E731
    out["ratio_p50"], out["ratio_p99"] = ratio("p50_ms"), ratio("p99_ms")
    out["load_after"] = round(os.getloadavg()[0], 2)
    out["targets"] = {
        "call_control_within_20pct": out["ratio_p50"] <= 1.2,
        "intent_le_300ms": all(
            out[k]["max_ms"] <= 300 and out[k]["correct"] == out[k]["n"]
            for k in ("intent_idle", "intent_saturated")
        ),
    }
    return out


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def report(r: dict) -> str:
    def row(name: str, x: dict) -> str:
        return (
            f"{name:<22} n={x['n']:<3} p50 {x['p50_ms']:7.1f} ms  p99 {x['p99_ms']:7.1f} ms"
            f"  max {x['max_ms']:7.1f} ms"
        )

    rec = r["recognition"]
    return "\n".join(
        [
            f"machine: {r['cores']} cores, {r['workers']} recognition workers, load "
            f"{r['load_before']} before / {r['load_after']} after (shared machine)",
            "StasisStart -> bridged (agent answer delay taken out):",
            row("  idle", r["idle"]),
            row(f"  saturated ({r['saturating_streams']} legs)", r["saturated"]),
            f"  ratio saturated/idle: p50 {r['ratio_p50']:.2f}, p99 {r['ratio_p99']:.2f}"
            f"   (target p50 within 1.20)",
            "end of speech -> intent (real calls, snoop + externalMedia + media server):",
            row("  idle", r["intent_idle"]) + f"  correct {r['intent_idle']['correct']}",
            row("  saturated", r["intent_saturated"])
            + f"  correct {r['intent_saturated']['correct']}   (target <= 300 ms)",
            f"10 ms timer lateness p99: idle {r['probe_idle']['p99_ms']:.2f} ms, saturated "
            f"{r['probe_saturated']['p99_ms']:.2f} ms",
            f"recognition while saturated: level {rec['level']} ({rec['meaning']}), lag "
            f"{rec['lag']} s, dropped {rec['dropped_seconds']}",
            "targets: "
            + ", ".join(f"{k} {'PASS' if v else 'FAIL'}" for k, v in r["targets"].items()),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=os.environ.get("ENGINE_CONFIG"))
    parser.add_argument("--calls", type=int, default=30, help="calls per control phase")
    parser.add_argument("--rounds", type=int, default=2, help="idle/saturated rounds")
    parser.add_argument("--rate", type=float, default=3.0, help="new calls per second")
    parser.add_argument("--ivr-calls", type=int, default=6, help="IVR calls per intent phase")
    parser.add_argument("--seconds", type=float, default=90.0, help="saturating audio, max")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    configure_logging("error", "console")
    try:
        import uvloop

        result = uvloop.run(run(args))
    except ImportError:
        result = asyncio.run(run(args))
    print(
        orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() if args.json else report(result)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
