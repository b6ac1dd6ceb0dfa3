"""Load generators for benchmarks/speech.py: paced streams, IVR legs over RTP, a loop probe."""

from __future__ import annotations

import asyncio
import random
import socket
import statistics
import time

import numpy as np

from engine.media import rtp
from engine.media.server import MediaServer
from engine.speech.degrade import Policy
from engine.speech.emotion.analyze import Analyzer
from engine.speech.legs import LegListener
from engine.speech.service import SpeechService

NO_DEGRADE = Policy(raise_at=(1e9, 1e9, 1e9), session_cap=1e9)


def summary(samples: list[float]) -> dict:
    if not samples:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0, "n": 0}
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {
        "p50_ms": round(pick(0.5) * 1e3, 3),
        "p95_ms": round(pick(0.95) * 1e3, 3),
        "p99_ms": round(pick(0.99) * 1e3, 3),
        "max_ms": round(ordered[-1] * 1e3, 3),
        "mean_ms": round(statistics.fmean(ordered) * 1e3, 3),
        "n": len(ordered),
    }


async def loop_probe(seconds: float, period: float = 0.01) -> dict:
    """How late a ``period`` timer fires: the event loop's responsiveness."""
    late, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end:
        before = time.perf_counter()
        await asyncio.sleep(period)
        late.append(max(0.0, time.perf_counter() - before - period))
    return summary(late)


def _speech_end(pcm: bytes) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    frames = x[: len(x) // 320 * 320].reshape(-1, 320)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-9)
    loud = np.flatnonzero(level > level.max() - 35)
    return float((loud[-1] + 1) * 0.02)


async def _pace(sessions: list, sources: list[bytes], seconds: float) -> None:
    loop = asyncio.get_running_loop()
    offsets = [random.randrange(0, len(s) // 640) * 640 for s in sources]
    t0 = loop.time()
    for i in range(int(seconds / 0.02)):
        for session, src, off in zip(sessions, sources, offsets, strict=True):
            at = (off + i * 640) % (len(src) - 640)
            session.feed(src[at : at + 640])
        await asyncio.sleep(max(0.0, t0 + (i + 1) * 0.02 - loop.time()))


async def realtime(
    ctx: dict,
    *,
    workers: int,
    grammar: int,
    free: int,
    seconds: float,
    degrade: bool,
    probe: bool = False,
) -> dict:
    speech = SpeechService(
        ctx["store"],
        ctx["menus"],
        Analyzer(),
        workers=workers,
        policy=None if degrade else NO_DEGRADE,
        denoise=ctx.get("denoise", False),
    )
    await speech.start()
    sessions, sources = [], []
    for i in range(grammar):
        sessions.append(speech.open(f"g{i}", lang="zh", menu="main", on_result=lambda r: None))
        sources.append(ctx["ivr"])
    for i in range(free):
        role = "agent" if i % 2 else "caller"
        sessions.append(
            speech.open(f"f{i}", lang="zh", role=role, emotion=False, on_result=lambda r: None)
        )
        sources.append(ctx["talk"])
    pacing = asyncio.create_task(_pace(sessions, sources, seconds))
    probed = await loop_probe(seconds) if probe else None
    await pacing
    max_wait = max(s.waiting for s in sessions)
    stats = speech.pool.stats()
    await asyncio.gather(*(s.close(timeout=2.0) for s in sessions))
    await speech.stop(timeout=5.0)
    return {
        "kept_up": max_wait < 0.3,
        "max_wait_s": round(max_wait, 3),
        "probe": probed,
        "degradation": {k: stats[k] for k in ("level", "meaning", "dropped_seconds")},
    }


async def _send(port: int, pcm: bytes, delay: float) -> float:
    await asyncio.sleep(delay)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for i, offset in enumerate(range(0, len(pcm) - 639, 640)):
            payload = rtp.native_to_slin(pcm[offset : offset + 640])
            sender.sendto(rtp.build(i, i * 320, 77, payload), ("127.0.0.1", port))
            await asyncio.sleep(max(0.0, t0 + (i + 1) * 0.02 - loop.time()))
    return t0


async def intent_latency(ctx: dict, *, legs: int, free: int, workers: int) -> dict:
    speech = SpeechService(
        ctx["store"], ctx["menus"], Analyzer(), workers=workers, denoise=ctx.get("denoise", False)
    )
    await speech.start()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        start = probe.getsockname()[1]
    media = MediaServer("127.0.0.1", start, min(65535, start + legs + 10))
    loop = asyncio.get_running_loop()
    intents: dict[str, tuple[float, str | None]] = {}

    def catch(name):
        def on(t):
            if t.kind == "final" and name not in intents:
                intents[name] = (loop.time(), t.intent)

        return on

    listeners = [
        await LegListener.open(
            media,
            speech,
            f"ivr-{i}",
            role="caller",
            lang="zh",
            menu="main",
            on_transcript=catch(f"ivr-{i}"),
        )
        for i in range(legs)
    ]
    busy = [
        speech.open(
            f"busy-{i}",
            lang="zh",
            role="agent" if i % 2 else "caller",
            emotion=False,
            on_result=lambda r: None,
        )
        for i in range(free)
    ]
    load = asyncio.create_task(_pace(busy, [ctx["talk"]] * free, 0.4 * legs + 4))
    starts = await asyncio.gather(
        *(_send(leg.media_leg.port, ctx["ivr"], 0.4 * i) for i, leg in enumerate(listeners))
    )
    await load
    end = _speech_end(ctx["ivr"])
    latencies = [
        intents[f"ivr-{i}"][0] - (t0 + end) for i, t0 in enumerate(starts) if f"ivr-{i}" in intents
    ]
    correct = sum(1 for _, intent in intents.values() if intent == "technical")
    for leg in listeners:
        await leg.stop()
    await asyncio.gather(*(s.close(timeout=2.0) for s in busy))
    await speech.stop(timeout=5.0)
    return {"legs": legs, "free": free, "correct": correct, **summary(latencies)}
