"""Offline tools for operators: transcribe a WAV file, score a caller's utterances."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.speech import audio
from engine.speech.emotion.analyze import Analyzer
from engine.speech.emotion.score import CallEmotion
from engine.speech.menus import SpeechMenu
from engine.speech.recognizer import Recognizer
from engine.speech.results import Transcript

CHUNK = 3200  # 0.1 s of 16 kHz int16


def transcribe(
    samples: np.ndarray, model: Any, lang: str, menu: SpeechMenu | None = None, leg_id: str = "file"
) -> list[Transcript]:
    """Final transcripts of 16 kHz samples, as a live leg would produce them.

    Half a second of silence goes before and after: a live leg always has audio before
    the caller speaks, and the recogniser's feature normalisation needs that lead-in.
    """
    pad = np.zeros(audio.RATE // 2)
    pcm = audio.to_pcm16(np.concatenate([pad, samples, pad]))
    rec = Recognizer(model, leg_id, lang=lang, menu=menu)
    finals: list[Transcript] = []
    for offset in range(0, len(pcm), CHUNK):
        finals += [
            t for t in rec.accept(pcm[offset : offset + CHUNK], partials=False) if t.kind == "final"
        ]
    return finals + rec.finish()


def transcribe_file(
    path: str | Path, model: Any, lang: str, menu: SpeechMenu | None = None
) -> list[Transcript]:
    return transcribe(audio.load_16k(path), model, lang, menu, leg_id=Path(path).name)


def intent_of(finals: list[Transcript]) -> str | None:
    return next((t.intent for t in finals if t.intent), None)


def score_files(
    paths: list[str], lang: str, analyzer: Analyzer, model: Any = None
) -> list[dict[str, Any]]:
    """One caller's utterances in order: each scored against the caller's own baseline."""
    call = CallEmotion("offline")
    rows: list[dict[str, Any]] = []
    at = 0.0
    for path in paths:
        samples = audio.load_16k(path)
        text = ""
        if model is not None:
            text = " ".join(t.text for t in transcribe(samples, model, lang) if t.text)
        analysis = analyzer(samples, text, lang)
        at += len(samples) / audio.RATE
        score, event = call.observe(analysis, at)
        rows.append(
            {
                "file": str(path),
                "text": text if model is not None else None,
                **score.as_dict(),
                "prosody": analysis.prosody.as_dict(),
                "complaints": list(analysis.text.complaints) if analysis.text else [],
                "event": event.kind if event else None,
            }
        )
    return rows


def format_rows(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"{'file':<28} {'score':>5} {'label':<8} {'roll':>5} {'loud':>5} {'pitch':>5} "
        f"{'var':>5} {'rate':>5} {'neg':>4}  notes"
    ]
    for r in rows:
        z = r["z"]
        notes = ", ".join(r["reasons"]) + (" | SHARP RISE" if r["event"] else "")
        text = f"  [{r['text']}]" if r.get("text") else ""
        lines.append(
            f"{Path(r['file']).name[:28]:<28} {r['score']:>5.2f} {r['label']:<8} "
            f"{r['rolling']:>5.2f} {z['loudness_db']:>+5.1f} {z['pitch_st']:>+5.1f} "
            f"{z['pitch_var_st']:>+5.1f} {z['rate']:>+5.1f} {r['negativity']:>4.2f}  "
            f"{notes}{text}"
        )
    lines.append(
        "z-scores (sd) against the caller's own first utterances; "
        "labels: calm < 0.25 <= neutral < 0.5 <= agitated < 0.75 <= angry"
    )
    return "\n".join(lines)
