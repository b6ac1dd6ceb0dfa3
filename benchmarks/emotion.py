"""Emotion benchmark (issue 16): arousal AUC of ``speech emotion`` at the telephone band
next to a plain baseline; how often an angry caller is flagged and a calm one is not.

    .venv/bin/python benchmarks/emotion.py FOLDER [--generate [--speakers 8]]
                                           [--long-minutes 10] [--json]
    .venv/bin/python benchmarks/emotion.py FOLDER --corpus emodb EMODB_DIR
                                           [--held-out 03,08,09,10,11]

FOLDER holds WAV files and ``labels.csv`` (``file,speaker,emotion``; high arousal =
angry, happy, fearful; low = neutral, calm, sad; other emotions are ignored), e.g. a
public acted corpus (CREMA-D, TESS, EmoDB: keep the audio out of the repo) brought to
the telephone band first (``telephone()``: 8 kHz, 300-3400 Hz). Each speaker's clips go
together, in a seeded random order (a speaker's order is the same in every selection), as
one caller (``offline.score_files`` without transcription: the baseline is built from
the caller's own utterances as they come, as on a call). Figures:
- AUC of ``score`` for high vs low arousal, pooled over speakers, next to the plain
  baseline: per-speaker z of loudness, pitch level and pitch spread, summed (it sees all
  of the speaker's clips at once, which the engine cannot);
- AUC of each prosody feature alone (the direction each feature's name promises);
- angry clips flagged at least "agitated", calm/neutral clips flagged (false alarms).
``--corpus emodb DIR`` first brings the Berlin EmoDB (``DIR`` or ``DIR/wav`` holds its
535 ``SSTTTEv.wav`` files: speaker, text, emotion letter W anger, F happiness, A fear =
high; N neutral, L boredom, T sadness = low; E disgust is left out) to the telephone band
into FOLDER with its ``labels.csv`` (the audio stays outside the repository).
``--held-out`` names speakers whose figures are reported apart (tune on the others);
``--orders N`` averages N random clip orders (the baseline is built as clips come).
``--generate`` first writes espeak-ng Mandarin clips whose speakers differ in pitch,
loudness and speed and whose high-arousal clips are louder, higher and faster (a
stand-in that CI can make; it checks the pipeline, not real emotion).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import wave
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from engine.profiles.risk.train import auc
from engine.speech import audio

HIGH = {"angry", "happy", "fearful", "fear", "anger"}
LOW = {"neutral", "calm", "sad", "sadness", "bored", "boredom"}
EMODB = {"W": "angry", "F": "happy", "A": "fearful", "N": "neutral", "L": "bored", "T": "sad"}
SENTENCES = [
    "wo3 xiang3 wen4 yi1 xia4 wo3 de5 zhang4 dan1",
    "ni3 men5 shen2 me5 shi2 hou4 neng2 xiu1 hao3",
    "zhe4 ge4 yue4 de5 hua4 fei4 tai4 gao1 le5",
    "qing3 bang1 wo3 zhuan3 jie1 ren2 gong1 fu2 wu4",
]
EMOTIONS = {  # pitch shift, amplitude factor, speed factor
    "neutral": (0, 1.0, 1.0),
    "calm": (-4, 0.85, 0.92),
    "sad": (-8, 0.7, 0.85),
    "angry": (18, 2.2, 1.2),
    "happy": (22, 1.7, 1.15),
    "fearful": (26, 1.4, 1.25),
}


def telephone(x: np.ndarray, rate: int) -> np.ndarray:
    """8 kHz, 300-3400 Hz."""
    y = audio.resample(x, rate, 8000)
    spectrum = np.fft.rfft(y)
    freqs = np.fft.rfftfreq(len(y), 1 / 8000)
    spectrum[(freqs < 300) | (freqs > 3400)] = 0
    return np.fft.irfft(spectrum, len(y))


def _write(path: Path, x: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(audio.to_pcm16(x))


def generate(folder: Path, speakers: int = 8, seed: int = 0) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(speakers):
        base_pitch = int(rng.integers(15, 60))
        base_amp = float(rng.uniform(0.05, 0.12))
        base_speed = int(rng.integers(140, 175))
        for emotion, (shift, loud, fast) in EMOTIONS.items():
            for k, sentence in enumerate(SENTENCES):
                with tempfile.TemporaryDirectory() as tmp:
                    raw = Path(tmp) / "s.wav"
                    pitch = int(np.clip(base_pitch + shift + rng.normal(0, 3), 0, 99))
                    speed = int(base_speed * fast * rng.uniform(0.95, 1.05))
                    subprocess.run(
                        [
                            *("espeak-ng", "-v", "cmn-latn-pinyin", "-p", str(pitch)),
                            *("-s", str(speed), "-w", str(raw), sentence),
                        ],
                        check=True,
                        capture_output=True,
                    )
                    x, rate = audio.read_wav(raw)
                x = telephone(x, rate)
                x = x / (np.sqrt(np.mean(x**2)) + 1e-12) * base_amp * loud * rng.uniform(0.9, 1.1)
                x = x + rng.normal(0, 0.002, len(x))  # line noise
                name = f"s{s:02d}-{emotion}-{k}.wav"
                _write(folder / name, np.clip(x, -1, 1), 8000)
                rows.append([name, f"s{s:02d}", emotion])
    with open(folder / "labels.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([["file", "speaker", "emotion"], *rows])
    return len(rows)


def import_emodb(source: Path, folder: Path) -> int:
    """EmoDB's WAVs at the telephone band in ``folder`` with ``labels.csv`` (file,speaker,
    emotion); the speaker is the name's first two characters, the emotion its sixth."""
    wavs = sorted((source / "wav" if (source / "wav").is_dir() else source).glob("*.wav"))
    rows = []
    folder.mkdir(parents=True, exist_ok=True)
    for wav in wavs:
        emotion = EMODB.get(wav.name[5:6])
        if len(wav.stem) != 7 or emotion is None:
            continue  # disgust (E), or not an EmoDB name
        x, rate = audio.read_wav(wav)
        y = telephone(x, rate)
        _write(folder / wav.name, np.clip(y, -1, 1), 8000)
        rows.append([wav.name, wav.name[:2], emotion])
    if not rows:
        raise SystemExit(f"{source}: no EmoDB WAV files (names like 03a01Wa.wav)")
    with open(folder / "labels.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([["file", "speaker", "emotion"], *rows])
    return len(rows)


def _z(values: list[float]) -> np.ndarray:
    v = np.array(values, dtype=float)
    v = np.where(np.isnan(v), np.nanmean(v) if np.any(~np.isnan(v)) else 0.0, v)
    return (v - v.mean()) / (v.std() or 1.0)


def run(folder: Path, seed: int = 0, speakers: set[str] | None = None) -> dict[str, Any]:
    from engine.speech import offline
    from engine.speech.emotion.analyze import Analyzer

    with open(folder / "labels.csv", encoding="utf-8") as fh:
        labels = [
            r
            for r in csv.DictReader(fh)
            if r["emotion"].lower() in HIGH | LOW and (speakers is None or r["speaker"] in speakers)
        ]
    by_speaker: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in labels:
        by_speaker[r["speaker"]].append(r)
    y, score, plain, emotions, flagged = [], [], [], [], []
    features: dict[str, list[float]] = defaultdict(list)
    errors = []
    angry_by_speaker: dict[str, float] = {}
    for speaker, clips in by_speaker.items():
        # each speaker's order from the seed and their name: the same in every selection
        rng = np.random.default_rng([seed, zlib.crc32(speaker.encode())])
        order = [clips[i] for i in rng.permutation(len(clips))]
        rows = offline.score_files([str(folder / c["file"]) for c in order], "zh", Analyzer())
        good = [(c, r) for c, r in zip(order, rows, strict=True) if "error" not in r]
        errors += [r["error"] for r in rows if "error" in r]
        prosodies = [r["prosody"] for _, r in good]
        for name in ("loudness_db", "pitch_st", "pitch_var_st", "rate"):
            features[name] += list(_z([np.nan if p[name] is None else p[name] for p in prosodies]))
        plain += list(
            sum(
                _z([np.nan if p[n] is None else p[n] for p in prosodies])
                for n in ("loudness_db", "pitch_st", "pitch_var_st")
            )
        )
        for c, r in good:
            y.append(1 if c["emotion"].lower() in HIGH else 0)
            score.append(r["score"])
            emotions.append(c["emotion"].lower())
            flagged.append(r["label"] in ("agitated", "angry"))
        theirs = [r["label"] in ("agitated", "angry") for c, r in good if c["emotion"] == "angry"]
        if theirs:
            angry_by_speaker[speaker] = float(np.mean(theirs))
    ya = np.array(y)
    angry = [f for e, f in zip(emotions, flagged, strict=True) if e in ("angry", "anger")]
    calm = [f for e, f in zip(emotions, flagged, strict=True) if e in ("calm", "neutral")]
    return {
        "clips": len(y),
        "speakers": len(by_speaker),
        "auc_score": round(auc(ya, np.array(score)), 3),
        "auc_plain_baseline": round(auc(ya, np.array(plain)), 3),
        "auc_feature": {k: round(auc(ya, np.array(v)), 3) for k, v in features.items()},
        "angry_flagged": round(float(np.mean(angry)), 3) if angry else None,
        "calm_false_alarms": round(float(np.mean(calm)), 3) if calm else None,
        "angry_flagged_by_speaker": {k: round(v, 3) for k, v in sorted(angry_by_speaker.items())},
        "errors": errors,
    }


def run_orders(folder: Path, orders: int, speakers: set[str] | None = None) -> dict[str, Any]:
    """``run`` with the clips of each speaker in ``orders`` random orders (seeds 0..N-1):
    the figures' means, and each order's flag rates (they depend on which clips set a
    speaker's baseline)."""
    runs = [run(folder, seed=seed, speakers=speakers) for seed in range(orders)]
    if orders == 1:
        return runs[0]
    out = dict(runs[0])
    for key in ("auc_score", "auc_plain_baseline", "angry_flagged", "calm_false_alarms"):
        values = [r[key] for r in runs if r[key] is not None]
        out[key] = round(float(np.mean(values)), 3) if values else None
        out[f"{key}_per_order"] = [r[key] for r in runs]
    out["auc_feature"] = {
        k: round(float(np.mean([r["auc_feature"][k] for r in runs])), 3)
        for k in runs[0]["auc_feature"]
    }
    out["angry_flagged_by_speaker"] = {
        k: round(float(np.mean([r["angry_flagged_by_speaker"][k] for r in runs])), 3)
        for k in runs[0]["angry_flagged_by_speaker"]
    }
    out["errors"] = sorted({e for r in runs for e in r["errors"]})
    return out


def render(r: dict[str, Any]) -> str:
    lines = [
        f"{r['clips']} clips, {r['speakers']} speakers (each one caller, clips in random order)",
        f"AUC high vs low arousal: score {r['auc_score']:.3f}, "
        f"plain baseline {r['auc_plain_baseline']:.3f}",
        "AUC per feature (z within speaker): "
        + ", ".join(f"{k} {v:.3f}" for k, v in r["auc_feature"].items()),
    ]

    def orders(key: str) -> str:
        each = r.get(f"{key}_per_order")
        return (
            f" (mean of {len(each)} orders: " + ", ".join(f"{v:.1%}" for v in each) + ")"
            if each
            else ""
        )

    if r["angry_flagged"] is not None:
        lines.append(
            f"angry flagged >= agitated: {r['angry_flagged']:.1%}{orders('angry_flagged')}"
        )
    if r["calm_false_alarms"] is not None:
        lines.append(
            f"calm/neutral flagged >= agitated (false alarms): {r['calm_false_alarms']:.1%}"
            + orders("calm_false_alarms")
        )
    spread = r.get("angry_flagged_by_speaker") or {}
    if len(spread) > 1:
        lines.append(
            f"angry flagged per speaker: {min(spread.values()):.1%} to {max(spread.values()):.1%}"
        )
    lines += [f"error: {e}" for e in r["errors"]]
    if "long_file" in r:
        lf = r["long_file"]
        lines.append(
            f"a {lf['minutes']:g}-minute file: peak memory {lf['peak_mb']:.0f} MB "
            f"(whole process), {lf['seconds']:.0f} s"
        )
    return "\n".join(lines)


def long_file_memory(folder: Path, minutes: float) -> dict[str, float]:
    """Peak memory of ``speech emotion`` (a child process) on a generated 8 kHz file of
    ``minutes`` (issue 16: a 10-minute file peaked at 3.66 GB)."""
    import resource
    import time

    clips = sorted(folder.glob("*.wav"))[:20]
    x = np.concatenate([audio.read_wav(c)[0] for c in clips]) if clips else np.zeros(8000)
    path = folder / "long-file.wav.tmp"
    _write(
        path, np.tile(x, int(minutes * 60 * 8000 / len(x)) + 1)[: int(minutes * 60 * 8000)], 8000
    )
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "engine",
            "speech",
            "emotion",
            str(path),
            "--no-transcript",
            "--json",
        ],
        check=True,
        capture_output=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    seconds = time.perf_counter() - started
    path.unlink()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"minutes": minutes, "peak_mb": round(peak_mb, 1), "seconds": round(seconds, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--generate", action="store_true", help="write generated clips first")
    parser.add_argument("--speakers", type=int, default=8)
    parser.add_argument("--long-minutes", type=float, help="also: peak memory of a file this long")
    parser.add_argument(
        "--corpus", nargs=2, metavar=("NAME", "DIR"), help="import a corpus first (emodb DIR)"
    )
    parser.add_argument("--held-out", default="", help="speakers reported apart: 03,08,...")
    parser.add_argument(
        "--orders", type=int, default=1, help="clip orders per speaker to average (1)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.generate:
        print(f"generated {generate(args.folder, args.speakers)} clips", file=sys.stderr)
    if args.corpus:
        name, source = args.corpus
        if name != "emodb":
            parser.error(f"unknown corpus {name!r} (known: emodb)")
        print(f"imported {import_emodb(Path(source), args.folder)} clips", file=sys.stderr)
    held = {s.strip() for s in args.held_out.split(",") if s.strip()}
    if held:
        with open(args.folder / "labels.csv", encoding="utf-8") as fh:
            everyone = {r["speaker"] for r in csv.DictReader(fh)}
        results = {
            "tuned-on": run_orders(args.folder, args.orders, everyone - held),
            "held-out": run_orders(args.folder, args.orders, held),
            "all": run_orders(args.folder, args.orders),
        }
        if args.json:
            print(json.dumps(results, indent=2))
        else:
            for part, r in results.items():
                print(f"== {part} speakers")
                print(render(r))
        return 0
    result = run_orders(args.folder, args.orders)
    if args.long_minutes:
        result["long_file"] = long_file_memory(args.folder, args.long_minutes)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
