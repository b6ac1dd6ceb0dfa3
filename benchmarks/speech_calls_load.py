"""Helpers for benchmarks/speech_calls.py: skills, voices, callers, RTP load, statistics."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from engine.media import rtp
from engine.sim import parties
from engine.speech import audio

ROOT = Path(__file__).resolve().parents[1]
TALK = "ni3 hao3 wo3 xiang3 wen4 yi1 xia4 wo3 de5 zhang4 dan1 wei4 shen2 me5 zhe4 me5 gui4"
_ids = itertools.count(1)


def summary(seconds: list[float]) -> dict:
    if not seconds:
        return {"n": 0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    ordered = sorted(seconds)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {
        "n": len(ordered),
        "p50_ms": round(pick(0.5) * 1e3, 2),
        "p99_ms": round(pick(0.99) * 1e3, 2),
        "max_ms": round(ordered[-1] * 1e3, 2),
    }


def loudness(pcm: bytes) -> float:
    """RMS level of int16 audio in dB (0 dB = one LSB)."""
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(10 * np.log10(np.mean(x * x) + 1e-9))


def write_skills(folder: Path, agents: int) -> None:
    """The shipped IVR, queues and speech menus; ``agents`` simulated agents with all skills."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in (
        "ivr.yaml",
        "queues.yaml",
        "vip.yaml",
        "knowledge-base.yaml",
        "speech-menus.yaml",
        "complaint-words.yaml",
    ):
        shutil.copy(ROOT / "skills" / name, folder / name)
    pool = [
        {
            "id": str(5000 + i),
            "name": f"Bench agent {i}",
            "endpoint": parties.agent_endpoint(str(5000 + i)),
            "languages": ["zh", "en"],
            "skills": {"general": 3, "technical": 3, "billing": 3},
            "groups": ["general"],
            "auto_login": True,
        }
        for i in range(agents)
    ]
    doc = {
        "skills": ["technical", "billing", "general"],
        "groups": ["platinum", "technical", "billing", "general"],
        "agents": pool,
    }
    (folder / "agents.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))


def talk_pcm() -> bytes:
    """Continuous free-form speech (16 kHz int16) to saturate the workers with."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "talk.wav"
        subprocess.run(
            ["espeak-ng", "-v", "cmn-latn-pinyin", "-w", str(path), TALK],
            check=True,
            capture_output=True,
        )
        return audio.to_pcm16(np.concatenate([audio.load_16k(path), np.zeros(3200)]))


async def place(
    ari, did: str, n: int, rate: float, hold: float, wav: list[str] | None = None
) -> None:
    """``n`` simulated callers at ``rate`` per second, each staying ``hold`` s after its
    sounds (or from the answer)."""
    started = time.monotonic()
    tasks = []
    for i in range(n):
        await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
        p = parties.caller(did, f"1370000{next(_ids):04d}", wav=wav, wav_delay=1.0, hold=hold)
        tasks.append(
            asyncio.ensure_future(
                ari.originate(p.pop("endpoint"), channelId=f"sb-{time.time_ns()}", **p)
            )
        )
    await asyncio.gather(*tasks)


def rtp_streams(pcm: bytes, ports: list[int], seconds: float) -> None:
    """(Runs in its own process.) Paced slin16 RTP, one stream per port, looping ``pcm``."""
    frames = [rtp.native_to_slin(pcm[o : o + 640]) for o in range(0, len(pcm) - 639, 640)]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        t0 = time.monotonic()
        for i in range(int(seconds / 0.02)):
            for k, port in enumerate(ports):
                frame = frames[(i + 17 * k) % len(frames)]
                s.sendto(
                    rtp.build(i & 0xFFFF, (i * 320) & 0xFFFFFFFF, 1000 + k, frame),
                    ("127.0.0.1", port),
                )
            time.sleep(max(0.0, t0 + (i + 1) * 0.02 - time.monotonic()))
