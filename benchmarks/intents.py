"""Spoken-intent benchmark (issue 16): % right, % to confirm, % no-match and % false
accepts of the speech menus on a folder of labelled recordings.

    .venv/bin/python benchmarks/intents.py FOLDER [--generate [--voices 3]] [--json]

FOLDER holds WAV files and ``labels.csv`` (``file,lang,menu,intent,kind``: intent empty
for speech that names none; kind ``exact`` = a phrase of the menu as shipped before
issue 16, ``paraphrase`` = a natural phrasing NOT listed in skills/speech-menus.yaml,
``offtopic``). Each file goes through ``offline.transcribe`` with the menu, as
``speech transcribe --menu`` does. ``--generate`` first synthesises the material with
espeak-ng (``-v cmn-latn-pinyin``) at several speeds and pitches, band-limited to 8 kHz,
each also with noise at 10 dB SNR. Needs the Mandarin model
(``python -m engine models fetch``).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from engine.speech import audio

EXACT = {  # the phrases the menus had before issue 16
    "main": {
        "technical": ["技术支持", "技术", "网络故障", "上不了网"],
        "billing": ["账单", "缴费", "付款", "话费"],
        "general": ["人工", "人工服务", "客服"],
    },
    "language": {"zh": ["中文", "普通话"], "en": ["英文", "英语"]},
}
PARAPHRASES = {  # held out: none of these is listed in skills/speech-menus.yaml
    "main": {
        "technical": ["我家的网络坏了", "宽带上不去", "网络连不上了", "手机没有信号了"],
        "billing": ["帮我查一下话费", "我想交一下费", "查询我的账单", "我要充话费"],
        "general": ["帮我转人工", "我要找人工客服", "请转接客服", "我想找客服人员"],
    },
    "language": {"zh": ["我要说中文", "请讲普通话"], "en": ["我要说英语", "请讲英文"]},
}
OFFTOPIC = ["今天天气怎么样", "我在开车", "你们几点下班", "我姓王", "谢谢再见", "明天见"]
VOICES = [(130, 30), (160, 50), (200, 80), (145, 65), (175, 40)]  # (speed wpm, pitch 0-99)


def _pinyin(text: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))


def synthesise(text: str, speed: int, pitch: int) -> tuple[np.ndarray, int]:
    """espeak-ng Mandarin, 300-3400 Hz at 8 kHz (telephone band)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.wav"
        subprocess.run(
            [
                *("espeak-ng", "-v", "cmn-latn-pinyin", "-s", str(speed), "-p", str(pitch)),
                *("-w", str(path), _pinyin(text)),
            ],
            check=True,
            capture_output=True,
        )
        samples, rate = audio.read_wav(path)
    x = audio.resample(samples, rate, 8000)
    spectrum = np.fft.rfft(x)
    spectrum[np.fft.rfftfreq(len(x), 1 / 8000) < 300] = 0
    return np.fft.irfft(spectrum, len(x)), 8000


def with_noise(x: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    power = float(np.mean(x**2)) or 1e-9
    noise = np.random.default_rng(seed).normal(0, np.sqrt(power / 10 ** (snr_db / 10)), len(x))
    return x + noise


def _write_wav(path: Path, x: np.ndarray, rate: int) -> None:
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        peak = max(1e-9, float(np.abs(x).max()))
        w.writeframes(audio.to_pcm16(x * min(1.0, 0.9 / peak)))


def generate(folder: Path, voices: int = 3, noise: bool = True) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    items: list[tuple[str, str, str]] = []  # menu, intent, "kind:text"
    rows = []
    for kind, table in (("exact", EXACT), ("paraphrase", PARAPHRASES)):
        for menu, intents in table.items():
            items += [(menu, intent, f"{kind}:{t}") for intent, ts in intents.items() for t in ts]
    items += [(menu, "", f"offtopic:{t}") for menu in EXACT for t in OFFTOPIC]
    n = 0
    for menu, intent, tagged in items:
        kind, text = tagged.split(":", 1)
        for v, (speed, pitch) in enumerate(VOICES[:voices]):
            x, rate = synthesise(text, speed, pitch)
            for noisy in (False, True) if noise else (False,):
                n += 1
                name = f"{n:04d}-{menu}-{kind}-v{v}{'-noise' if noisy else ''}.wav"
                _write_wav(folder / name, with_noise(x, 10.0, n) if noisy else x, rate)
                rows.append([name, "zh", menu, intent, kind, text])
    with open(folder / "labels.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["file", "lang", "menu", "intent", "kind", "text"], *rows])
    return n


def run(folder: Path, model: Any, skills: Path, denoise: bool = False) -> dict[str, Any]:
    from engine.speech import offline
    from engine.speech.menus import load

    menus = load(skills / "speech-menus.yaml")
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    misses: list[dict[str, Any]] = []
    with open(folder / "labels.csv", encoding="utf-8") as fh:
        labels = list(csv.DictReader(fh))
    started = time.process_time()
    for row in labels:
        finals = offline.transcribe_file(
            folder / row["file"],
            model,
            row["lang"],
            menus.get(row["lang"], row["menu"]),
            denoise=denoise,
        )
        got = offline.intent_of(finals)
        confirm = next((c for t in finals if (c := getattr(t, "confirm", None))), None)
        want = row["intent"] or None
        condition = Path(row["file"]).stem.split("-", 3)[-1]  # v0, v0-noise...
        groups = [counts[row["kind"]], counts[f"{row['kind']}/{condition}"]]
        for group in groups:
            group["n"] += 1
        if want is None:
            outcome = "false-accept" if got else "confirm-asked" if confirm else "no-match"
        elif got == want:
            outcome = "right"
        elif got:
            outcome = "wrong"
        elif confirm == want:
            outcome = "confirm-right"
        elif confirm:
            outcome = "confirm-wrong"
        else:
            outcome = "no-match"
        for group in groups:
            group[outcome] += 1
        if outcome not in ("right", "no-match") or (want and outcome == "no-match"):
            text = " / ".join(t.text for t in finals)
            misses.append({**row, "outcome": outcome, "heard": text, "intent_got": got or confirm})
    cpu = (time.process_time() - started) / max(1, len(labels))
    return {
        "groups": {k: dict(v) for k, v in counts.items()},
        "misses": misses,
        "cpu_per_file": cpu,
    }


def render(result: dict[str, Any], conditions: bool = False) -> str:
    """One row per kind; with ``conditions`` also one per kind and voice/noise."""
    lines = [
        f"{'kind':<19} {'n':>4} {'right':>7} {'confirm':>8} {'no-match':>9} {'wrong':>6} "
        f"{'false acc':>9}"
    ]
    names = [
        name
        for kind in ("exact", "paraphrase", "offtopic")
        for name in sorted(result["groups"])
        if name == kind or (conditions and name.startswith(kind + "/"))
    ]
    for kind in names:
        g = result["groups"][kind]
        n = g["n"]

        def pct(*keys: str, g: dict[str, int] = g, n: int = n) -> str:
            return f"{100 * sum(g.get(k, 0) for k in keys) / n:.1f}%"

        lines.append(
            f"{kind:<19} {n:>4} {pct('right'):>7} {pct('confirm-right', 'confirm-asked'):>8} "
            f"{pct('no-match'):>9} {pct('wrong', 'confirm-wrong'):>6} {pct('false-accept'):>9}"
        )
    lines.append(
        "right: the intent accepted; confirm: the right intent offered for confirmation "
        "(off-topic: any); wrong: another intent accepted or offered"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--generate", action="store_true", help="synthesise the material first")
    parser.add_argument("--voices", type=int, default=3, help="speed/pitch pairs (1-5; 3)")
    parser.add_argument("--no-noise", action="store_true", help="generate without noisy copies")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list what went wrong")
    parser.add_argument(
        "--conditions", action="store_true", help="also a row per voice and noise condition"
    )
    parser.add_argument(
        "--denoise",
        choices=("on", "off", "both"),
        default="both",
        help="the menu legs' noise reduction (speech_menu_denoise): both = before/after",
    )
    parser.add_argument(
        "--speech-gate",
        choices=("on", "off", "both"),
        default="on",
        help="decode only speech and its margins in menus (recognizer.SPEECH_GATE, on as "
        "the engine runs); both = without, then with",
    )
    args = parser.parse_args()
    from engine import settings as settings_mod
    from engine.speech import recognizer
    from engine.speech.recognition_models import ModelStore

    if args.generate:
        print(
            f"generated {generate(args.folder, args.voices, not args.no_noise)} files",
            file=sys.stderr,
        )
    settings = settings_mod.load(None)
    model = ModelStore(settings.speech_model_paths).get("zh")
    modes = {"off": [False], "on": [True], "both": [False, True]}
    results = {}
    for gate in modes[args.speech_gate]:
        recognizer.SPEECH_GATE = gate
        for d in modes[args.denoise]:
            name = f"speech_menu_denoise = {str(d).lower()}, speech gate {'on' if gate else 'off'}"
            results[name] = run(args.folder, model, settings.skills_path, d)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return 0
    for name, result in results.items():
        print(f"== {name}")
        print(render(result, args.conditions))
        print(f"CPU: {result['cpu_per_file'] * 1000:.0f} ms per file (recognition and judging)")
        if args.misses:
            for m in result["misses"]:
                print(
                    f"  {m['file']}: {m['text']} -> {m['outcome']} ({m['intent_got']}) "
                    f"[{m['heard']}]"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
