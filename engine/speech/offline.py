"""Offline tools for operators: transcribe a WAV file, score a caller's utterances
(text negativity from confidently recognised words only; a bad file is reported and the
batch goes on; long files in bounded memory)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.speech import audio
from engine.speech.emotion.analyze import Analyzer
from engine.speech.emotion.score import CallEmotion
from engine.speech.menus import SpeechMenu
from engine.speech.recognizer import Recognizer
from engine.speech.results import Transcript, confident_text

CHUNK = 3200  # 0.1 s of 16 kHz int16
BLOCK_SECONDS = 30.0  # longer files are scored block by block


def transcribe(
    samples: np.ndarray,
    model: Any,
    lang: str,
    menu: SpeechMenu | None = None,
    leg_id: str = "file",
    denoise: bool = False,
) -> list[Transcript]:
    """Final transcripts of 16 kHz samples, as a live leg would produce them.

    Half a second of silence goes before and after: a live leg always has audio before
    the caller speaks, and the recogniser's feature normalisation needs that lead-in.
    """
    pad = np.zeros(audio.RATE // 2)
    pcm = audio.to_pcm16(np.concatenate([pad, samples, pad]))
    rec = Recognizer(model, leg_id, lang=lang, menu=menu, denoise=denoise)
    finals: list[Transcript] = []
    for offset in range(0, len(pcm), CHUNK):
        finals += [
            t for t in rec.accept(pcm[offset : offset + CHUNK], partials=False) if t.kind == "final"
        ]
    return finals + rec.finish()


def transcribe_file(
    path: str | Path,
    model: Any,
    lang: str,
    menu: SpeechMenu | None = None,
    denoise: bool = False,
) -> list[Transcript]:
    return transcribe(
        audio.load_16k(path), model, lang, menu, leg_id=Path(path).name, denoise=denoise
    )


def intent_of(finals: list[Transcript]) -> str | None:
    return next((t.intent for t in finals if t.intent), None)


def score_files(
    paths: list[str], lang: str, analyzer: Analyzer, model: Any = None
) -> list[dict[str, Any]]:
    """One caller's utterances in order: each scored against the caller's own baseline.

    A file that cannot be read gives a row with ``error`` and the batch goes on. A file
    longer than ``BLOCK_SECONDS`` is read and scored block by block (one row per block,
    with ``segment`` [start, end] in seconds): memory stays bounded."""
    call = CallEmotion("offline")
    rows: list[dict[str, Any]] = []
    at = 0.0
    for path in paths:
        try:
            offset = 0.0
            for samples in audio.blocks_16k(path, BLOCK_SECONDS):
                seconds = len(samples) / audio.RATE
                row = _score_block(call, samples, lang, analyzer, model, at + seconds)
                rows.append({"file": str(path), "segment": [offset, offset + seconds], **row})
                offset, at = offset + seconds, at + seconds
            if offset == 0.0:
                rows.append({"file": str(path), "error": f"{path}: no audio in the file"})
        except (audio.AudioError, OSError) as exc:
            rows.append({"file": str(path), "error": str(exc)})
    for r in rows:  # a whole file in one block: no segment to show
        if "segment" in r and sum(1 for o in rows if o["file"] == r["file"]) == 1:
            del r["segment"]
    return rows


def _score_block(
    call: CallEmotion, samples: np.ndarray, lang: str, analyzer: Analyzer, model: Any, at: float
) -> dict[str, Any]:
    text = ""
    if model is not None:
        text = " ".join(confident_text(t.words) for t in transcribe(samples, model, lang))
        text = text.strip()
    analysis = analyzer(samples, text, lang)
    score, event = call.observe(analysis, at)
    return {
        "text": text if model is not None else None,
        **score.as_dict(),
        "prosody": analysis.prosody.as_dict(),
        "complaints": list(analysis.text.complaints) if analysis.text else [],
        "event": event.kind if event else None,
    }


def format_rows(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"{'file':<28} {'score':>5} {'label':<8} {'roll':>5} {'loud':>5} {'pitch':>5} "
        f"{'var':>5} {'rate':>5} {'neg':>4}  notes"
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"{Path(r['file']).name[:28]:<28} error: {r['error']}")
            continue
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
        "z-scores (sd) against the caller's calm self (their lower quartile so far); "
        "labels: calm < 0.25 <= neutral < 0.5 <= agitated < 0.75 <= angry"
    )
    return "\n".join(lines)
