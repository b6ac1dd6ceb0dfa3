"""Soak: N concurrent calls with arrivals and hang-ups for a while; does anything grow?

Starts a private redis-server and the engine as its own process (like
``inbound_calls.py``), then keeps ``--calls`` simulated callers up on a queue DID for
``--duration`` seconds: each caller stays a random ``--hold`` seconds, hangs up, and a
new one arrives in its place. Every ``--every`` seconds it prints the engine's RSS,
asyncio tasks and threads (``/status``), the legs it hears, Asterisk's channels and
bridges, and the UDP ports open in the media range. At the end the callers stop, the
last calls end, and the idle figures are compared with the ones before the first call.

Leak verdict (printed, and the exit status): after the run, back to idle, there must be
no Asterisk channel or bridge left, no media UDP port open, no more asyncio tasks than
at the start plus ``--task-slack``, no more threads than at the start, and the RSS
over the second half of the run must grow by less than ``--rss-slope`` MB per minute.

    python benchmarks/speech_soak.py --calls 100 --duration 1800 --speech on
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import inbound_calls as bench

from engine import settings as settings_mod
from engine.ari.client import AriClient
from engine.sim import parties


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def os_threads(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


def udp_ports_open(start: int, end: int) -> int:
    """UDP sockets bound in ``[start, end]`` (the engine's media range), all processes."""
    count = 0
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                port = int(line.split()[1].rsplit(":", 1)[1], 16)
                count += start <= port <= end
    return count


class Soak:
    def __init__(self, cfg: settings_mod.Settings, http_port: int, pid: int) -> None:
        self.cfg, self.http_port, self.pid = cfg, http_port, pid
        self.samples: list[dict[str, Any]] = []
        self.placed = 0
        self.failed = 0
        self.t0 = time.monotonic()

    async def sample(self, ari: AriClient, http: aiohttp.ClientSession) -> dict[str, Any]:
        channels, bridges = await asyncio.gather(ari.channels(), ari.bridges())
        async with http.get(f"http://127.0.0.1:{self.http_port}/status") as resp:
            status = await resp.json()
        speech = status.get("speech") or {}
        row = {
            "t": round(time.monotonic() - self.t0, 1),
            "calls_placed": self.placed,
            "live_calls": status["calls"]["live"],
            "legs": speech.get("legs", 0),
            "rss_mb": round(rss_mb(self.pid), 1),
            # the recognizer processes (listen, menu), apart: the engine's own RSS is above
            "rec_rss_mb": round(sum(rss_mb(c) for c in bench.children(self.pid)), 1),
            "tasks": status.get("process", {}).get("tasks"),
            "threads": status.get("process", {}).get("threads"),
            "os_threads": os_threads(self.pid),
            "channels": len(channels),
            "bridges": len(bridges),
            "udp_ports": udp_ports_open(self.cfg.media_port_start, self.cfg.media_port_end),
        }
        self.samples.append(row)
        return row

    async def caller_slot(self, ari: AriClient, until: float, hold: tuple[float, float]) -> None:
        stamp = int(time.time() * 1000) % 100000
        n = 0
        while time.monotonic() < until:
            seconds = random.uniform(*hold)
            n += 1
            params = parties.caller("8100", f"13{stamp:05d}{n:04d}", hold=seconds)
            try:
                await ari.originate(
                    params.pop("endpoint"), channelId=f"soak-{stamp}-{id(self)}-{n}", **params
                )
                self.placed += 1
            except Exception:
                self.failed += 1
            # the caller hangs up after ``seconds`` of talk; setup takes about the agent delay
            await asyncio.sleep(seconds + 2.0)


def verdict(samples: list[dict[str, Any]], idle0: dict, idle1: dict, args) -> list[str]:
    problems = []
    for key in ("channels", "bridges", "udp_ports"):
        if idle1[key] > 0:
            problems.append(f"{idle1[key]} {key} left after the last call")
    if idle1["tasks"] is not None and idle1["tasks"] > idle0["tasks"] + args.task_slack:
        problems.append(f"asyncio tasks {idle0['tasks']} -> {idle1['tasks']}")
    if idle1["os_threads"] > idle0["os_threads"]:
        problems.append(f"threads {idle0['os_threads']} -> {idle1['os_threads']}")
    busy = [s for s in samples if s["t"] >= samples[-1]["t"] / 2]
    if len(busy) >= 3:
        for key, what in (("rss_mb", "RSS"), ("rec_rss_mb", "recognizer processes' RSS")):
            slope = _slope([(s["t"] / 60, s[key]) for s in busy])
            if slope > args.rss_slope:
                problems.append(f"{what} grows {slope:.2f} MB/min over the second half")
    return problems


def _slope(points: list[tuple[float, float]]) -> float:
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


async def main_async(args: argparse.Namespace) -> int:
    from engine.sandbox.asterisk import Sandbox
    from engine.sandbox.redis import RedisServer

    base = settings_mod.load(args.config)
    work = Path(tempfile.mkdtemp(prefix="tenure-soak-"))
    bench.write_skills(work / "skills", args.calls + 20)
    redis_port, http_port = bench.free_port(), bench.free_port()
    redis = RedisServer(redis_port, work / "redis")
    redis.start()
    sandbox = Sandbox(base)
    was_up = sandbox.pid() is not None  # leave the machine as it was found
    sandbox.up()
    env = bench.engine_env(work, redis_port, http_port, args.speech)
    cfg = settings_mod.load(
        args.config, environ={k: v for k, v in env.items() if k.startswith("ENGINE_")}
    )
    command = [sys.executable, "-m", "engine"]
    command += (["--config", args.config] if args.config else []) + ["run"]
    log_path = work / "engine.log"
    log_file = log_path.open("wb")
    engine = subprocess.Popen(  # noqa: ASYNC220 (a session of its own: see inbound_calls)
        command,
        env=env,
        cwd=bench.ROOT,
        stdout=log_file,
        stderr=log_file,
        start_new_session=True,
    )
    ari = AriClient(cfg.ari_url, cfg.ari_user, cfg.ari_password)
    soak = Soak(cfg, http_port, engine.pid)
    headers = {"Authorization": f"Bearer {cfg.api_token}"}
    try:
        await ari.set_global("SIM_AGENT_DELAY", str(args.agent_delay))
        await bench.wait_started(http_port, cfg.api_token, engine)
        async with aiohttp.ClientSession(headers=headers) as http:
            idle0 = await soak.sample(ari, http)
            _print(idle0, header=True)
            until = time.monotonic() + args.duration
            slots = []
            for _ in range(args.calls):  # arrivals spread over the first second per 20 calls
                slots.append(asyncio.create_task(soak.caller_slot(ari, until, args.hold)))
                await asyncio.sleep(1.0 / 20)
            while time.monotonic() < until:
                await asyncio.sleep(args.every)
                _print(await soak.sample(ari, http))
            await asyncio.gather(*slots)
            for _ in range(int(args.hold[1]) + 30):  # the last calls end
                await asyncio.sleep(1.0)
                row = await soak.sample(ari, http)
                if row["live_calls"] == 0 and row["channels"] == 0:
                    break
            await asyncio.sleep(5.0)
            idle1 = await soak.sample(ari, http)
            _print(idle1)
    finally:
        await ari.close()
        engine.send_signal(signal.SIGTERM)
        try:
            engine.wait(30)
        except subprocess.TimeoutExpired:
            engine.kill()
        log_file.close()
        redis.stop()
        if not was_up:
            sandbox.down()
    problems = verdict(soak.samples, idle0, idle1, args)
    warnings = bench.log_warnings(log_path, 0)
    summary = {
        "calls_placed": soak.placed,
        "originates_failed": soak.failed,
        "idle_before": idle0,
        "idle_after": idle1,
        "peak_rss_mb": max(s["rss_mb"] for s in soak.samples),
        "peak_rec_rss_mb": max(s["rec_rss_mb"] for s in soak.samples),
        "warnings": dict(warnings.most_common()),
        "leaks": problems,
        "engine_log": str(log_path),
    }
    if args.json:
        print(json.dumps({"samples": soak.samples, **summary}, indent=2))
    else:
        print(
            f"calls placed {soak.placed} (originates failed {soak.failed}), "
            f"peak RSS {summary['peak_rss_mb']} MB (recognizer processes "
            f"{summary['peak_rec_rss_mb']} MB)"
        )
        print("warnings: " + (", ".join(f"{k} {v}" for k, v in warnings.items()) or "none"))
        print("leak verdict: " + ("; ".join(problems) if problems else "no leak"))
    return 1 if problems else 0


COLUMNS = ("t", "calls_placed", "live_calls", "legs", "rss_mb", "rec_rss_mb", "tasks", "threads")
COLUMNS += ("os_threads", "channels", "bridges", "udp_ports")


def _print(row: dict[str, Any], header: bool = False) -> None:
    if header:
        print(" ".join(f"{c:>12}" for c in COLUMNS), flush=True)
    print(" ".join(f"{row[c]!s:>12}" for c in COLUMNS), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=os.environ.get("ENGINE_CONFIG"))
    parser.add_argument("--calls", type=int, default=100, help="calls up at once")
    parser.add_argument("--duration", type=float, default=1800.0, help="seconds of arrivals")
    parser.add_argument(
        "--hold", type=float, nargs=2, default=(20.0, 60.0), help="talk seconds, min max"
    )
    parser.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--speech", choices=("on", "off"), default="on")
    parser.add_argument("--agent-delay", type=float, default=1.0)
    parser.add_argument("--task-slack", type=int, default=5)
    parser.add_argument("--rss-slope", type=float, default=1.0, help="MB per minute allowed")
    parser.add_argument("--json", action="store_true")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
