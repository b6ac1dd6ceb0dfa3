"""Benchmark: N concurrent inbound calls through the sandbox Asterisk and the engine.

Starts a private redis-server and the engine (as its own process, so its CPU can be
read apart from this driver's), starts N simulated callers at a steady rate on a DID
that goes straight to a queue, lets simulated agents answer and holds every call until
all N are up at once, then the callers hang up.

Prints, per level: peak concurrent calls, connected/ended, ``call.failed`` in the
engine's log, calls set up per second, p50/p99 StasisStart-to-bridged with the simulated
agent's answer delay taken out, legs asking to be heard, tapped (media ports) and
admitted (when ``/status`` reports a budget), legs heard in real time and the
recogniser's lag, Asterisk channels per call,
engine CPU seconds per call without the recogniser threads (their CPU apart, read per
thread from ``/proc/PID/task``), Asterisk CPU per call, engine peak memory, and the
warnings the engine logged (``engine.loop_stalled`` among them). Also, to tell where a
slow call set-up came from: how long the event loop's thread ran and how long it waited
runnable for a CPU (``schedstat``), the recognizer processes' CPU per scheduling policy
(normal threads compete with call control, idle ones should not; per thread in
``--json``), the ARI requests the engine sent per call (``/status`` ``ari.requests``),
and a probe of Asterisk answering a small ARI request every 50 ms (p99, max and when).
``--speech both`` runs the same levels with speech off, then on (a fresh engine and
Redis each), side by side; ``--rounds R`` repeats that R times (off, on, off, on...) and
prints each round's p99 on/off ratio and their median, so the load other programs put on
the machine falls on both modes alike. ``--ivr-calls K`` adds K callers on the IVR's DID
(8000) during each level who say 技术支持 (espeak-ng) over the menu prompt and press 1
afterwards (speech off: the key routes them): they are left out of the
StasisStart-to-bridged figures, and with speech on the engine's ``/status`` gives end of
speech -> menu decision (p50/p99/ max, ms) under the level's load.
``--json`` prints the same machine-readable. ``BENCH_ENGINE_LOG_LEVEL=info`` (environment)
keeps the engine's info events in its log (warning by default). ``--engine-root`` runs
another checkout's engine (e.g. the code before a change) under the same driver.

    python benchmarks/inbound_calls.py --config var/bench.toml --calls 50,200 --speech both
    python benchmarks/inbound_calls.py --config var/bench.toml --calls 200 --speech both \
        --rounds 3 --ivr-calls 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.speech_calls_load import write_skills  # noqa: E402
from engine import settings as settings_mod  # noqa: E402
from engine.ari.client import AriClient  # noqa: E402
from engine.sim import parties, voices  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds per live thread name (``speech-*``: recognizer threads)."""
    out: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            raw = (task / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw.rsplit(")", 1)[1].split()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def loop_cpu(pid: int) -> float:
    """CPU seconds of the main thread: the event loop everything in the call path runs on."""
    fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def loop_waits(pid: int) -> tuple[float, float]:
    """Seconds the event loop's thread ran, and waited runnable for a CPU (schedstat)."""
    try:
        ran, waited, _ = Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()
    except (OSError, ValueError):
        return 0.0, 0.0
    return int(ran) / 1e9, int(waited) / 1e9


def recognizer_cpu(pid: int) -> float:
    return sum(v for k, v in thread_cpu(pid).items() if k.startswith("speech-"))


def children(pid: int) -> list[int]:
    """The engine's child processes (the recognizer process, with ``speech_process``)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


POLICIES = {0: "normal", 3: "batch", 5: "idle"}


def cpu_by_policy(pids: list[int], names: bool = False) -> dict[str, float]:
    """CPU seconds of the live threads of ``pids`` per scheduling policy (normal, batch,
    idle): what the recognizer processes took at normal priority, next to call control;
    with ``names``, per policy, process and thread name."""
    out: dict[str, float] = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    raw = (task / "stat").read_text()
                    fields = raw.rsplit(")", 1)[1].split()
                    policy = POLICIES.get(int(fields[38]), fields[38])
                    if names:
                        policy += f" {pid} {raw[raw.index('(') + 1 : raw.rindex(')')]}"
                    used = (int(fields[11]) + int(fields[12])) / CLK_TCK
                    out[policy] = out.get(policy, 0.0) + used
    return out


def machine_cpu() -> tuple[float, float]:
    """Seconds all CPUs were busy, and in all, since boot (``/proc/stat``): the share of
    the machine a level used, whoever used it."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields) - idle) / CLK_TCK, sum(fields) / CLK_TCK


def own_cpu() -> float:
    """This driver's CPU seconds (placing calls, sampling, the probe): load on the same
    machine that the engine and Asterisk do not cause."""
    times = os.times()
    return times.user + times.system


def process_cpu(pids: list[int]) -> dict[int, float]:
    out: dict[int, float] = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            out[pid] = cpu_seconds(pid)
    return out


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


async def place_calls(
    ari: AriClient, n: int, rate: float, hold: float, did: str, voice: str | None = None
) -> int:
    """Start n callers at a steady ``rate`` per second; each stays ``hold`` seconds, so
    with hold >= n / rate all n calls are up at once at the peak. With ``voice``: IVR
    callers, who say it 1 s after the answer (over the prompt), then press 1."""
    stamp = int(time.time() * 1000)
    tasks = []
    prefix = "ivr" if voice else "bench"
    spoken: dict[str, Any] = (
        {"wav": [voice, "silence/1"], "wav_delay": 1.0, "dtmf": "1", "dtmf_delay": 1.5}
        if voice
        else {}
    )

    async def one(i: int) -> None:
        p = parties.caller(
            did, f"13{8 if voice else 9}{stamp % 10000:04d}{i:04d}", hold=hold, **spoken
        )
        await ari.originate(p.pop("endpoint"), channelId=f"{prefix}-{stamp}-{i}", **p)

    start = time.monotonic()
    for i in range(n):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        tasks.append(asyncio.create_task(one(i)))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    return sum(1 for r in results if isinstance(r, BaseException))


def peak_concurrency(rows: list[Any]) -> int:
    edges = sorted(
        [(r["connected_at"], 1) for r in rows if r["connected_at"]]
        + [(r["ended_at"], -1) for r in rows if r["connected_at"] and r["ended_at"]]
    )
    live = peak = 0
    for _, step in edges:
        live += step
        peak = max(peak, live)
    return peak


def read_records(db: Path | str, since: float) -> list[Any]:
    """The call records since ``since``: from the SQLite file, or the PostgreSQL URL."""
    if "://" in str(db):
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        from engine.store.database import sqlalchemy_url

        engine = create_engine(sqlalchemy_url(str(db)), poolclass=NullPool)
        try:
            with engine.connect() as conn:
                query = text("select * from calls where arrived_at >= :since")
                return [dict(r) for r in conn.execute(query, {"since": since}).mappings()]
        finally:
            engine.dispose()
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = conn.execute("select * from calls where arrived_at >= ?", (since,)).fetchall()
    conn.close()
    return rows


class Sampler:
    """Polls ``/status`` and ARI's channel and bridge lists once a second during a level."""

    def __init__(self, cfg: settings_mod.Settings, http_port: int) -> None:
        self.cfg, self.http_port = cfg, http_port
        self.peak: Counter[str] = Counter()
        self.lag_max = 0.0
        self.heard_at_peak: int | None = 0
        self.status_keys: set[str] = set()
        self.menu_decisions: dict[str, Any] = {}
        self.lateness: dict[str, Any] = {}  # the engine's event loop (/status, since start)
        self.gc: dict[str, Any] = {}  # its garbage collector's pauses (since start)
        self.loop_slice_ms: float | None = None  # its loop thread's time slice
        self.ari_first: dict[str, int] | None = None  # ARI requests sent, first and last
        self.probes: list[tuple[float, float]] = []  # (at, ms): Asterisk answering ARI
        self.ari_last: dict[str, int] = {}

    async def probe(self, stop: asyncio.Event) -> None:
        """How fast Asterisk answers a small ARI request, every 50 ms: a stall of call
        set-up that Asterisk shares shows here; one of the engine's alone does not."""
        ari = AriClient(self.cfg.ari_url, self.cfg.ari_user, self.cfg.ari_password)
        try:
            while not stop.is_set():
                started = time.monotonic()
                with contextlib.suppress(Exception):
                    await ari.call("asterisk_info", only="build")
                    self.probes.append((time.time(), (time.monotonic() - started) * 1000))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.05)
        finally:
            await ari.close()

    async def run(self, stop: asyncio.Event) -> None:
        ari = AriClient(self.cfg.ari_url, self.cfg.ari_user, self.cfg.ari_password)
        headers = {"Authorization": f"Bearer {self.cfg.api_token}"}
        probing = asyncio.create_task(self.probe(stop))
        async with aiohttp.ClientSession(headers=headers) as http:
            try:
                while not stop.is_set():
                    await self._sample(ari, http)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), 1.0)
            finally:
                await ari.close()
                await probing

    async def _sample(self, ari: AriClient, http: aiohttp.ClientSession) -> None:
        with contextlib.suppress(Exception):
            channels, bridges = await asyncio.gather(ari.channels(), ari.bridges())
            self._max("channels", len(channels))
            self._max("bridges", len(bridges))
            self._max("tap_channels", sum(1 for c in channels if "-hear-" in c["id"]))
        with contextlib.suppress(Exception):
            url = f"http://127.0.0.1:{self.http_port}/status"
            async with http.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp:
                status = await resp.json()
            self._max("live_calls", status["calls"]["live"])
            requests = status.get("ari", {}).get("requests") or {}
            if self.ari_first is None:
                self.ari_first = requests
            self.ari_last = requests
            self.lateness = status.get("process", {}).get("loop_late_ms") or self.lateness
            self.gc = status.get("process", {}).get("gc") or self.gc
            self.loop_slice_ms = status.get("process", {}).get("loop_slice_ms")
            speech = status.get("speech") or {}
            self.status_keys |= set(speech)
            rec = speech.get("recognition") or {}
            self._max("legs_asking", speech.get("legs", 0))  # heard or waiting
            self._max("ports", speech.get("ports", 0))
            admitted = _find(speech, ("admitted", "admitted_legs", "legs_admitted"))
            if admitted is not None:
                self._max("legs_admitted", admitted)
            waiting = _find(speech, ("waiting", "queued", "queue_length"))
            if waiting is not None:
                self._max("legs_waiting", waiting)
            self.lag_max = max(self.lag_max, float(rec.get("lag", 0.0)))
            self.menu_decisions = speech.get("menu_decisions") or self.menu_decisions
            sessions = int(rec.get("sessions", 0))
            if "behind" not in rec and speech:  # an engine that does not say
                self.heard_at_peak = None
            elif sessions >= self.peak["sessions"]:
                self.heard_at_peak = sessions - int(rec["behind"])
            self._max("sessions", sessions)
            self._max("behind", int(rec.get("behind", 0)))

    def _max(self, key: str, value: int) -> None:
        self.peak[key] = max(self.peak[key], int(value))


def _find(tree: Any, names: tuple[str, ...]) -> int | None:
    """A count by one of ``names`` anywhere in /status's speech part (the budget's field)."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key in names and isinstance(value, int | float):
                return int(value)
            if key in names and isinstance(value, list):
                return len(value)
            found = _find(value, names)
            if found is not None:
                return found
    return None


async def run_level(
    cfg: settings_mod.Settings,
    engine_pid: int,
    asterisk_pid: int,
    n: int,
    rate: float,
    http_port: int,
    log_path: Path,
    ivr_calls: int = 0,
    voice: str | None = None,
    redis_pid: int | None = None,
) -> dict:
    hold = n / rate + 3.0
    load_before = round(os.getloadavg()[0], 2)
    ari = AriClient(cfg.ari_url, cfg.ari_user, cfg.ari_password)
    since = time.time()
    log_start = log_size(log_path)
    cpu_e0, cpu_a0 = cpu_seconds(engine_pid), cpu_seconds(asterisk_pid)
    cpu_r0, cpu_l0 = recognizer_cpu(engine_pid), loop_cpu(engine_pid)
    ran0, waited0 = loop_waits(engine_pid)
    busy0, all0 = machine_cpu()
    own0, redis0 = own_cpu(), cpu_seconds(redis_pid) if redis_pid else 0.0
    cpu_w0 = process_cpu(children(engine_pid))
    policy0 = cpu_by_policy(children(engine_pid))
    threads0 = cpu_by_policy(children(engine_pid), names=True)
    sampler = Sampler(cfg, http_port)
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop))
    placing = [place_calls(ari, n, rate, hold, "8100")]
    if ivr_calls and voice:  # spread over the same ramp, staying as long as the others
        placing.append(place_calls(ari, ivr_calls, ivr_calls * rate / n, hold, "8000", voice))
    failed = await asyncio.gather(*placing)
    failed_originates = failed[0]
    db = cfg.database_url or Path(cfg.database_path)
    deadline = time.time() + hold + 60
    all_rows: list[Any] = []
    while time.time() < deadline:
        await asyncio.sleep(1.0)
        all_rows = read_records(db, since)
        if len([r for r in all_rows if r["ended_at"]]) >= n + ivr_calls - sum(failed):
            break
    rows = [r for r in all_rows if r["did"] != "8000"]
    ivr_rows = [r for r in all_rows if r["did"] == "8000"]
    await asyncio.sleep(1.0)
    stop.set()
    await sampling
    cpu_e, cpu_a = cpu_seconds(engine_pid) - cpu_e0, cpu_seconds(asterisk_pid) - cpu_a0
    workers = children(engine_pid)
    cpu_w1 = process_cpu(workers)  # a restarted process counts from its start
    policy1 = cpu_by_policy(workers)
    by_policy = {k: round((v - policy0.get(k, 0.0)) / max(n, 1), 5) for k, v in policy1.items()}
    threads1 = cpu_by_policy(workers, names=True)
    by_thread = {k: round(v - threads0.get(k, 0.0), 2) for k, v in threads1.items()}
    cpu_w = sum(v - cpu_w0.get(pid, 0.0) for pid, v in cpu_w1.items())
    cpu_rt = recognizer_cpu(engine_pid) - cpu_r0  # recognizer threads inside the engine
    cpu_r = cpu_rt + cpu_w
    worker_rss = sum(peak_rss_mb(pid) for pid in workers if pid in cpu_w1)
    cpu_l = loop_cpu(engine_pid) - cpu_l0
    ran1, waited1 = loop_waits(engine_pid)
    busy1, all1 = machine_cpu()
    own1, redis1 = own_cpu(), cpu_seconds(redis_pid) if redis_pid else 0.0
    await ari.close()
    done = [r for r in rows if r["connected_at"]]
    lat = [
        ((r["connected_at"] - r["arrived_at"]) - (r["agent_answered_at"] - r["agent_dialed_at"]))
        * 1000
        for r in done
    ]
    first = min((r["arrived_at"] for r in done), default=since)
    last = max((r["connected_at"] for r in done), default=since)
    warnings = log_warnings(log_path, log_start)
    peak = peak_concurrency(rows)
    probe_ms = [ms for _, ms in sampler.probes]
    slowest = max(sampler.probes, key=lambda p: p[1], default=(since, 0.0))
    first_ari = sampler.ari_first or {}
    ari_sent = {k: v - first_ari.get(k, 0) for k, v in sampler.ari_last.items()}
    ari_sent = {k: v for k, v in sorted(ari_sent.items(), key=lambda kv: -kv[1]) if v}
    return {
        "calls": n,
        "load_average": [round(x, 2) for x in os.getloadavg()],  # (1, 5, 15 min) at the end
        "load_before": load_before,
        "arrival_rate": rate,
        "peak_concurrent": peak,
        "connected": len(done),
        "failed_originates": failed_originates,
        "ended": sum(1 for r in rows if r["ended_at"]),
        "call_failed": warnings.get("call.failed", 0),
        "calls_per_second": round(len(done) / max(last - first, 1e-9), 1),
        "p50_ms": round(percentile(lat, 50), 2),
        "p99_ms": round(percentile(lat, 99), 2),
        "legs_asking": sampler.peak["legs_asking"],
        "legs_tapped": sampler.peak["ports"],  # a media port per tapped leg
        "legs_admitted": sampler.peak.get("legs_admitted"),
        "legs_waiting": sampler.peak.get("legs_waiting"),
        "legs_heard_realtime": sampler.heard_at_peak,
        "legs_behind_max": sampler.peak["behind"],
        "recognizer_lag_max_s": round(sampler.lag_max, 3),
        "asterisk_channels_peak": sampler.peak["channels"],
        "asterisk_bridges_peak": sampler.peak["bridges"],
        "asterisk_channels_per_call": round(sampler.peak["channels"] / max(peak, 1), 2),
        "engine_cpu_s_per_call": round((cpu_e - cpu_rt) / max(n, 1), 5),
        "loop_cpu_s_per_call": round(cpu_l / max(n, 1), 5),
        "loop_waited_for_cpu_s": round(waited1 - waited0, 2),
        "loop_ran_s": round(ran1 - ran0, 2),
        "loop_slice_ms": sampler.loop_slice_ms,
        "recognizer_cpu_s_per_call": round(cpu_r / max(n, 1), 5),
        "recognizer_cpu_by_policy": by_policy or None,
        "recognizer_cpu_s_by_thread": {k: v for k, v in by_thread.items() if v} or None,
        "asterisk_cpu_s_per_call": round(cpu_a / max(n, 1), 5),
        "driver_cpu_s_per_call": round((own1 - own0) / max(n, 1), 5),
        "redis_cpu_s_per_call": round((redis1 - redis0) / max(n, 1), 5),
        "machine_busy_pct": round(100 * (busy1 - busy0) / max(all1 - all0, 1e-9), 1),
        "ari_probe_p99_ms": round(percentile(probe_ms, 99), 1) if probe_ms else None,
        "ari_probe_max_ms": round(slowest[1], 1),
        "ari_probe_max_at_s": round(slowest[0] - first, 2),
        "engine_to_asterisk_cpu": round((cpu_e - cpu_rt) / cpu_a, 3) if cpu_a else None,
        "engine_peak_rss_mb": round(peak_rss_mb(engine_pid), 1),
        "recognizer_processes": len(cpu_w1),
        "recognizer_peak_rss_mb": round(worker_rss, 1) if cpu_w1 else None,
        "loop_late_p50_ms": sampler.lateness.get("p50_ms"),
        "loop_late_p99_ms": sampler.lateness.get("p99_ms"),
        "loop_late_max_ms": sampler.lateness.get("max_ms"),
        "gc_full": sampler.gc.get("full"),
        "gc_total_ms": sampler.gc.get("total_ms"),
        "gc_max_ms": sampler.gc.get("max_ms"),
        "loop_stalled": warnings.get("engine.loop_stalled", 0),
        "warnings": dict(warnings.most_common()),
        "ari_requests_per_call": round(sum(ari_sent.values()) / max(n + ivr_calls, 1), 2),
        "ari_requests": ari_sent,
        "ivr_calls": len(ivr_rows),
        "ivr_connected": sum(1 for r in ivr_rows if r["connected_at"]),
        "ivr_to_technical": sum(1 for r in ivr_rows if r["queue"] == "technical"),
        "ivr_paths": dict(Counter(str(r["ivr_path"]) for r in ivr_rows).most_common(4)),
        "menu_decisions": sampler.menu_decisions or None,
    }


def log_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def log_warnings(path: Path, start: int) -> Counter[str]:
    """Warning and error events the engine logged (JSON lines) since byte ``start``."""
    counts: Counter[str] = Counter()
    if not path.exists():
        return counts
    with path.open("rb") as f:
        f.seek(start)
        for line in f:
            try:
                entry = json.loads(line)
            except ValueError:
                counts["(not json)"] += 1
                continue
            if entry.get("level") in {"warning", "error", "critical"}:
                counts[str(entry.get("event"))] += 1
    return counts


async def leftover_channels(cfg: settings_mod.Settings) -> int:
    ari = AriClient(cfg.ari_url, cfg.ari_user, cfg.ari_password)
    try:
        return len(await ari.channels())
    finally:
        await ari.close()


def engine_env(
    work: Path, redis_port: int, http_port: int, speech: str | None, database_url: str = ""
) -> dict:
    """The benchmark engine's environment: its own Redis, database (a SQLite file, or
    ``database_url``), port, skills, JSON log at warning level (counted afterwards);
    speech ``on``/``off``/None (as configured)."""
    env = dict(
        os.environ,
        ENGINE_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        ENGINE_DATABASE_PATH=str(work / "engine.db"),
        ENGINE_DATABASE_URL=database_url,
        ENGINE_HTTP_PORT=str(http_port),
        ENGINE_SKILLS_DIR=str(work / "skills"),
        ENGINE_LOG_LEVEL=os.environ.get("BENCH_ENGINE_LOG_LEVEL", "warning"),
        ENGINE_LOG_FORMAT="json",
    )
    if speech is not None:
        env["ENGINE_SPEECH_ENABLED"] = "true" if speech == "on" else "false"
    return env


async def run_mode(
    args: argparse.Namespace,
    speech: str | None,
    levels: list[int],
    sandbox: Any,
    database_url: str = "",
    work: Path | None = None,
    voice: str | None = None,
    root: Path | None = None,
) -> dict:
    """One fresh engine (and Redis) through every level; speech ``on``/``off``/None
    (config); its store a SQLite file in ``work`` (a fresh folder by default), or
    ``database_url``."""
    from engine.sandbox.redis import RedisServer

    work = work or Path(tempfile.mkdtemp(prefix="tenure-bench-"))
    write_skills(work / "skills", max(levels) + 20)
    redis_port, http_port = free_port(), free_port()
    redis = RedisServer(redis_port, work / "redis")
    redis.start()
    env = engine_env(work, redis_port, http_port, speech, database_url)
    cfg = settings_mod.load(
        args.config, environ={k: v for k, v in env.items() if k.startswith("ENGINE_")}
    )
    root = root or ROOT
    env["PYTHONPATH"] = str(root)
    command = [sys.executable, "-m", "engine"]
    command += (["--config", args.config] if args.config else []) + ["run"]
    log_path = work / "engine.log"
    log_file = log_path.open("wb")
    # started once, before any measurement; its log kept to count warnings. In a session
    # of its own, as a service runs: with the kernel's autogroups a session is a scheduler
    # group, and this driver's CPU (placing calls, sampling) must not come out of the
    # engine's share of the machine
    engine = subprocess.Popen(  # noqa: ASYNC220
        command, env=env, cwd=root, stderr=log_file, stdout=log_file, start_new_session=True
    )
    results = []
    try:
        ari = AriClient(cfg.ari_url, cfg.ari_user, cfg.ari_password)
        await ari.set_global("SIM_AGENT_DELAY", str(args.agent_delay))
        await ari.close()
        await wait_started(http_port, cfg.api_token, engine)
        asterisk_pid = sandbox.pid()
        for n in levels:
            print(f"== speech {speech or 'config'}: {n} calls ...", file=sys.stderr, flush=True)
            level = await run_level(
                cfg,
                engine.pid,
                asterisk_pid,
                n,
                args.rate,
                http_port,
                log_path,
                getattr(args, "ivr_calls", 0),
                voice,
                redis.proc.pid if redis.proc else None,
            )
            results.append(level)
    finally:
        engine.send_signal(signal.SIGTERM)
        try:
            engine.wait(30)
        except subprocess.TimeoutExpired:
            engine.kill()
            engine.wait(10)
        log_file.close()
        await asyncio.sleep(2.0)
        leftover = await leftover_channels(cfg)
        redis.stop()
    return {
        "speech": speech or "config",
        "store": "postgresql" if database_url else "sqlite",
        "engine_root": str(root),
        "levels": results,
        "channels_left_after_stop": leftover,
        "engine_log": str(log_path),
    }


async def wait_started(http_port: int, token: str, engine: subprocess.Popen) -> None:
    """Until ``/status`` answers with ARI connected (models loaded), at most 120 s."""
    deadline = time.monotonic() + 120
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        while time.monotonic() < deadline:
            if engine.poll() is not None:
                raise RuntimeError(f"the engine exited ({engine.returncode}) while starting")
            with contextlib.suppress(Exception):
                async with http.get(f"http://127.0.0.1:{http_port}/status") as resp:
                    if resp.status == 200 and (await resp.json())["ari"]["connected"]:
                        await asyncio.sleep(2.0)  # agents logged in
                        return
            await asyncio.sleep(0.5)
    raise RuntimeError("the engine did not start within 120 s")


async def main_async(args: argparse.Namespace) -> list[dict]:
    from engine.sandbox.asterisk import Sandbox

    base = settings_mod.load(args.config)
    levels = [int(x) for x in args.calls.split(",")]
    sandbox = Sandbox(base)
    was_up = sandbox.pid() is not None  # leave the machine as it was found
    sandbox.up()
    modes: list[str | None] = {"both": ["off", "on"], "on": ["on"], "off": ["off"]}.get(
        args.speech, [None]
    )
    voice = None
    if args.ivr_calls:
        if voices.missing_tools():
            raise SystemExit(f"--ivr-calls needs {' and '.join(voices.missing_tools())}")
        voice = voices.say(sandbox.sounds_dir, "bench-jishu", "ji4 shu4 zhi1 chi2", speed=160)
    try:
        runs = []
        roots = args.engine_roots or [ROOT]
        for n in range(args.rounds):
            for root in roots:
                for mode in modes:
                    run = await run_mode(args, mode, levels, sandbox, voice=voice, root=root)
                    runs.append({"round": n + 1, "label": _label(root, roots), **run})
        return runs
    finally:
        if not was_up:
            sandbox.down()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=os.environ.get("ENGINE_CONFIG"))
    parser.add_argument("--calls", default="50,200", help="concurrency levels, comma-separated")
    parser.add_argument(
        "--rate",
        type=float,
        default=20.0,
        help="new calls per second; each call stays up calls/rate + 3 s, so "
        "all of a level's calls are up together at the peak",
    )
    parser.add_argument(
        "--agent-delay",
        type=float,
        default=1.0,
        help="simulated agent answer delay (taken out of the latency)",
    )
    parser.add_argument(
        "--speech",
        choices=("config", "on", "off", "both"),
        default="config",
        help="speech as configured, on, off, or both (off then on, side by side)",
    )
    parser.add_argument(
        "--engine-root",
        help="run the engine from this checkout (default: this one); several, comma-"
        "separated (e.g. before,after), run one after the other in every round",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat the modes this many times, interleaved"
    )
    parser.add_argument(
        "--ivr-calls",
        type=int,
        default=0,
        help="extra callers per level who answer the IVR's speech menu (espeak-ng)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.engine_roots = (
        [Path(r).resolve() for r in args.engine_root.split(",")] if args.engine_root else None
    )
    runs = asyncio.run(main_async(args))
    if args.json:
        print(json.dumps(runs, indent=2))
        return 0
    print_table(runs)
    return 0


ROWS = [
    ("peak concurrent", "peak_concurrent"),
    ("connected", "connected"),
    ("ended", "ended"),
    ("call.failed", "call_failed"),
    ("calls set up /s", "calls_per_second"),
    ("p50 StasisStart->bridged ms", "p50_ms"),
    ("p99 StasisStart->bridged ms", "p99_ms"),
    ("legs admitted (peak)", "legs_admitted"),
    ("legs waiting (peak)", "legs_waiting"),
    ("legs heard or waiting (peak)", "legs_asking"),
    ("legs tapped (peak media ports)", "legs_tapped"),
    ("legs heard in real time", "legs_heard_realtime"),
    ("recognizer lag max s", "recognizer_lag_max_s"),
    ("Asterisk channels (peak)", "asterisk_channels_peak"),
    ("Asterisk bridges (peak)", "asterisk_bridges_peak"),
    ("Asterisk channels per call", "asterisk_channels_per_call"),
    ("engine CPU s/call (no recog.)", "engine_cpu_s_per_call"),
    ("  of which event loop s/call", "loop_cpu_s_per_call"),
    ("  loop ran / waited for a CPU s", "loop_ran_waited"),
    ("  loop thread's time slice ms", "loop_slice_ms"),
    ("recognizer CPU s/call", "recognizer_cpu_s_per_call"),
    ("  by policy s/call", "recognizer_cpu_by_policy"),
    ("Asterisk CPU s/call", "asterisk_cpu_s_per_call"),
    ("driver / Redis CPU s/call", "driver_redis_cpu"),
    ("machine busy % (level)", "machine_busy_pct"),
    ("ARI requests per call", "ari_requests_per_call"),
    ("ARI probe p99 / max ms (@ s)", "ari_probe"),  # (@ s: after the first arrival)
    ("engine peak RSS MB", "engine_peak_rss_mb"),
    ("recognizer process(es) peak RSS MB", "recognizer_peak_rss_mb"),
    ("loop lateness p50 ms", "loop_late_p50_ms"),
    ("loop lateness p99 ms", "loop_late_p99_ms"),
    ("loop lateness max ms", "loop_late_max_ms"),
    ("GC full collections", "gc_full"),
    ("GC pauses total ms", "gc_total_ms"),
    ("GC pause max ms", "gc_max_ms"),
    ("engine.loop_stalled", "loop_stalled"),
    ("load average before (1 min)", "load_before"),
    ("IVR calls / connected", "ivr_calls"),
    ("IVR calls routed to technical", "ivr_to_technical"),
]


PAIRS = {  # rows that show two figures, "a / b"
    "loop_ran_waited": ("loop_ran_s", "loop_waited_for_cpu_s"),
    "driver_redis_cpu": ("driver_cpu_s_per_call", "redis_cpu_s_per_call"),
    "ivr_calls": ("ivr_calls", "ivr_connected"),
}


def _label(root: Path, roots: list[Path]) -> str:
    """How a checkout is named in the table: nothing when there is one."""
    return "" if len(roots) == 1 else root.name


def _head(run: dict) -> str:
    return f"speech {run['speech']}" + (f" [{run['label']}]" if run.get("label") else "")


def print_table(runs: list[dict]) -> None:
    """One column per (speech mode, level), one row per figure."""
    columns = [(run, level) for run in runs for level in run["levels"]]
    rounds = len({run.get("round", 1) for run in runs})
    heads = [
        f"{level['calls']} calls, {_head(run)}" + (f" #{run['round']}" if rounds > 1 else "")
        for run, level in columns
    ]
    width = max([22] + [len(h) for h in heads]) + 2
    print(f"{'':<30}" + "".join(f"{h:>{width}}" for h in heads))
    for label, key in ROWS:
        cells = [level.get(key) for _, level in columns]
        if key in PAIRS:
            cells = [" / ".join(f"{lv.get(k)}" for k in PAIRS[key]) for _, lv in columns]
        if key == "ari_probe":
            cells = [
                f"{lv.get('ari_probe_p99_ms')} / {lv.get('ari_probe_max_ms')} "
                f"(@{lv.get('ari_probe_max_at_s')})"
                for _, lv in columns
            ]
        if key == "recognizer_cpu_by_policy":
            cells = [
                " ".join(f"{k[0]}{v}" for k, v in (lv.get(key) or {}).items()) or None
                for _, lv in columns
            ]
        print(f"{label:<30}" + "".join(f"{'-' if c is None else c!s:>{width}}" for c in cells))
    for run, level in columns:
        print(
            f"warnings, {level['calls']} calls, {_head(run)}: "
            + (", ".join(f"{k} {v}" for k, v in level["warnings"].items()) or "none")
        )
    for run, level in columns:
        top = list(level.get("ari_requests", {}).items())[:8]
        print(
            f"ARI requests, {level['calls']} calls, {_head(run)}: "
            + (", ".join(f"{k} {v}" for k, v in top) or "-")
        )
    for run, level in columns:
        decisions = level.get("menu_decisions")
        if decisions:
            print(
                f"end of speech -> menu decision, {level['calls']} calls, {_head(run)}: "
                f"{decisions} (IVR paths {level['ivr_paths']})"
            )
    for run in runs:
        print(
            f"{_head(run)}: Asterisk channels left 2 s after engine stop: "
            f"{run['channels_left_after_stop']} (log: {run['engine_log']})"
        )
    for line in ratios(runs):
        print(line)


def ratios(runs: list[dict]) -> list[str]:
    """p99 speech on / off per round and level, and the median over rounds."""
    by: dict[tuple[str, int, int], dict[str, float]] = {}
    for run in runs:
        for level in run["levels"]:
            key = (run.get("label", ""), level["calls"], run.get("round", 1))
            by.setdefault(key, {})[run["speech"]] = level["p99_ms"]
    out, per_level = [], {}
    for (label, calls, rnd), p99 in sorted(by.items()):
        if "on" in p99 and "off" in p99 and p99["off"]:
            ratio = p99["on"] / p99["off"]
            per_level.setdefault((label, calls), []).append(ratio)
            out.append(
                f"round {rnd}, {calls} calls{f' [{label}]' if label else ''}: p99 on/off "
                f"{p99['on']} / {p99['off']} ms = {ratio:.2f}x"
            )
    for (label, calls), values in per_level.items():
        out.append(
            f"{calls} calls{f' [{label}]' if label else ''}: median p99 on/off over "
            f"{len(values)} rounds {statistics.median(values):.2f}x"
        )
    return out


if __name__ == "__main__":
    raise SystemExit(main())
