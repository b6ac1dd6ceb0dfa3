"""Speech benchmark (issue 6): real-time factor, streams per core, intent latency, loop latency.

Audio is espeak-ng Mandarin (``-v cmn-latn-pinyin``); the model is found through
settings (run ``python -m engine models fetch`` first). Figures:
  rtf            decode time / audio time of one stream on one thread (grammar, free-form),
                 and the speed-up of two threads over one (does Vosk release the GIL?);
  streams/core   most streams served at real time without falling behind (waiting audio
                 < 0.3 s per stream after the run), the process pinned to one CPU;
  intent latency end of speech -> intent on the event loop, RTP over loopback through the
                 media server, idle and with transcription saturated;
  loop latency   a 10 ms timer's lateness (stand-in for call-control latency), idle and
                 with every worker saturated by more free-form streams than they can serve.

    .venv/bin/python benchmarks/speech.py [--seconds 4] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.speech_load import intent_latency, loop_probe, realtime
from engine import settings as settings_mod
from engine.logs import configure_logging
from engine.speech import audio
from engine.speech.menus import load as load_menus
from engine.speech.recognition_models import check_models
from engine.speech.recognizer import Recognizer

IVR = "ji4 shu4 zhi1 chi2"
TALK = "ni3 hao3 wo3 xiang3 wen4 yi1 xia4 wo3 de5 zhang4 dan1 wei4 shen2 me5 zhe4 me5 gui4"


def espeak(text: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.wav"
        subprocess.run(
            ["espeak-ng", "-v", "cmn-latn-pinyin", "-w", str(path), text],
            check=True,
            capture_output=True,
        )
        return audio.load_16k(path)


def decode_time(model, pcm: bytes, menu=None, denoise: bool = False) -> float:
    rec = Recognizer(model, "bench", lang="zh", menu=menu, denoise=denoise)
    started = time.perf_counter()
    for offset in range(0, len(pcm), 640):
        rec.accept(pcm[offset : offset + 640])
    rec.finish()
    return time.perf_counter() - started


def rtf(model, pcm: bytes, menu=None, denoise: bool = False) -> float:
    best = min(decode_time(model, pcm, menu, denoise) for _ in range(2))
    return round(best / (len(pcm) / 32000), 4)


def gil_speedup(model, pcm: bytes) -> float:
    """Wall time of two decodes one after the other / the same two on two threads."""
    serial = decode_time(model, pcm) + decode_time(model, pcm)
    threads = [threading.Thread(target=decode_time, args=(model, pcm)) for _ in range(2)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return round(serial / (time.perf_counter() - started), 2)


async def capacity(ctx, kind: str, counts: list[int], seconds: float, cap: int) -> dict:
    """Try growing stream counts until one falls behind (or ``cap``), the whole process
    (event loop, worker, IVR lane) pinned to one CPU: threads started inside inherit it."""
    everything = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(everything)})
    try:
        return await _capacity(ctx, kind, counts, seconds, cap)
    finally:
        os.sched_setaffinity(0, everything)


async def _capacity(ctx, kind: str, counts: list[int], seconds: float, cap: int) -> dict:
    tried: dict[int, dict] = {}
    counts = list(counts)
    while counts:
        n = counts.pop(0)
        result = await realtime(
            ctx,
            workers=1,
            grammar=n if kind == "grammar" else 0,
            free=n if kind == "free" else 0,
            seconds=seconds,
            degrade=False,
        )
        tried[n] = result
        if not result["kept_up"]:
            break
        if not counts and n < cap:
            counts.append(min(cap, int(n * 1.5) + 1))
    best = max([n for n, r in tried.items() if r["kept_up"]], default=0)
    return {
        "streams_per_core": best,
        "runs": {
            n: {"kept_up": r["kept_up"], "max_wait_s": r["max_wait_s"]} for n, r in tried.items()
        },
    }


async def run(args: argparse.Namespace) -> dict:
    settings = settings_mod.load(args.config)
    store = check_models(settings)
    model = store.get("zh")
    menu = load_menus(settings.skills_path / "speech-menus.yaml").get("zh", "main")
    ivr, talk = espeak(IVR), espeak(TALK)
    pad = np.zeros(8000)
    ivr_pcm = audio.to_pcm16(np.concatenate([pad, ivr, pad, pad]))
    talk_pcm = audio.to_pcm16(np.concatenate([talk, pad]))
    ctx = {
        "store": store,
        "menus": load_menus(settings.skills_path / "speech-menus.yaml"),
        "ivr": ivr_pcm,
        "talk": talk_pcm,
        "denoise": settings.speech_menu_denoise,  # menu legs, as the engine runs them
    }
    out: dict = {"cores": os.cpu_count(), "load_before": os.getloadavg()[0]}
    out["rtf"] = {
        "grammar": rtf(model, ivr_pcm, menu, ctx["denoise"]),
        "free": rtf(model, talk_pcm),
    }
    out["speech_menu_denoise"] = ctx["denoise"]
    out["gil_two_thread_speedup"] = gil_speedup(model, talk_pcm)
    est = {k: int(1 / v) for k, v in out["rtf"].items()}
    grammar_counts = sorted(
        {
            max(3, est["grammar"] // 4),
            max(3, est["grammar"] // 2),
            max(4, int(est["grammar"] * 0.8)),
            est["grammar"] + 2,
        }
    )
    out["capacity"] = {
        "grammar": await capacity(ctx, "grammar", grammar_counts, args.seconds, 80),
        "free": await capacity(ctx, "free", [1, 2], args.seconds, 4),
    }
    workers = os.cpu_count() or 1
    overload = max(2, 3 * workers * max(1, out["capacity"]["free"]["streams_per_core"]))
    out["intent_latency"] = {
        "idle": await intent_latency(ctx, legs=args.ivr_legs, free=0, workers=workers),
        "saturated": await intent_latency(ctx, legs=args.ivr_legs, free=overload, workers=workers),
    }
    idle = await loop_probe(args.seconds)
    busy = await realtime(
        ctx,
        workers=workers,
        grammar=0,
        free=overload,
        seconds=args.seconds,
        degrade=True,
        probe=True,
    )
    change = (busy["probe"]["p99_ms"] - idle["p99_ms"]) / (10.0 + idle["p99_ms"])
    out["loop_latency"] = {
        "idle": idle,
        "saturated": busy["probe"],
        "saturated_streams": overload,
        "degradation": busy["degradation"],
        "p99_period_change": round(change, 4),
    }
    out["load_after"] = os.getloadavg()[0]
    out["targets"] = {
        "grammar_streams_per_core_ge_3": out["capacity"]["grammar"]["streams_per_core"] >= 3,
        "intent_latency_le_300ms": all(
            x["max_ms"] <= 300 and x["correct"] == x["legs"] for x in out["intent_latency"].values()
        ),
        "loop_latency_within_20pct": abs(change) <= 0.2,
    }
    return out


def report(r: dict) -> str:
    cap, lat, loop = r["capacity"], r["intent_latency"], r["loop_latency"]
    lines = [
        f"machine: {r['cores']} cores, load {r['load_before']:.1f} before / "
        f"{r['load_after']:.1f} after (shared: figures vary with other work)",
        f"real-time factor, one stream: grammar {r['rtf']['grammar']:.3f} "
        f"(speech_menu_denoise {r.get('speech_menu_denoise', False)}), "
        f"free-form {r['rtf']['free']:.3f}",
        f"two threads decode {r['gil_two_thread_speedup']:.2f}x one thread's throughput "
        f"(2.0 = GIL fully released)",
        f"streams per core at real time: grammar {cap['grammar']['streams_per_core']}, "
        f"free-form {cap['free']['streams_per_core']}   (target: grammar >= 3)",
    ]
    for name in ("idle", "saturated"):
        x = lat[name]
        lines.append(
            f"end of speech -> intent ({name}, {x['legs']} IVR legs, "
            f"{x['free']} free-form): p50 {x['p50_ms']:.0f} ms, p95 {x['p95_ms']:.0f}"
            f" ms, max {x['max_ms']:.0f} ms, correct {x['correct']}/{x['legs']}"
            f"   (target <= 300 ms)"
        )
    i, s = loop["idle"], loop["saturated"]
    lines.append(
        f"10 ms timer lateness: idle p50 {i['p50_ms']:.2f} / p99 {i['p99_ms']:.2f} ms;"
        f" saturated ({loop['saturated_streams']} free-form streams) p50 "
        f"{s['p50_ms']:.2f} / p99 {s['p99_ms']:.2f} ms; p99 period change "
        f"{loop['p99_period_change']:+.1%}   (target within 20%)"
    )
    lines.append(f"degradation while saturated: {loop['degradation']}")
    lines.append(
        "targets: " + ", ".join(f"{k} {'PASS' if v else 'FAIL'}" for k, v in r["targets"].items())
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="TOML config file (default: $ENGINE_CONFIG)")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each run")
    parser.add_argument("--ivr-legs", type=int, default=8, help="IVR legs per latency run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    configure_logging("error", "console")  # overload warnings are expected here
    try:
        import uvloop  # the engine's own loop

        result = uvloop.run(run(args))
    except ImportError:
        result = asyncio.run(run(args))
    print(
        orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()
        if args.json
        else report(result)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
