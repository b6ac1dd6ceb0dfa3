"""`python -m engine models ...` and `python -m engine speech ...`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import wave
from pathlib import Path

import numpy as np

from engine import cli as engine_cli
from engine import settings as settings_mod
from engine.speech import cli
from tests.unit.speech.test_acoustic import voiced


def run(argv, settings):
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    args.settings = lambda: settings
    return args.func(args)


def _wav(path, samples: np.ndarray, rate: int = 16000) -> str:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((samples * 32767).astype("<i2").tobytes())
    return str(path)


def test_the_speech_commands_are_registered():
    assert "engine.speech.cli" in engine_cli.COMMAND_MODULES


def test_emotion_scores_one_callers_utterances_in_order(tmp_path, capsys, speech_settings):
    files = [_wav(tmp_path / f"{i}.wav", voiced(seed=i)) for i in range(2)]
    files.append(_wav(tmp_path / "upset.wav", voiced(amp=0.2, f0=170, swing_st=4, seed=7)))
    assert run(["speech", "emotion", *files, "--no-transcript", "--json"], speech_settings) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in rows] == files
    assert rows[0]["label"] == "calm" and rows[2]["score"] > rows[1]["score"] + 0.3
    assert rows[2]["event"] == "sharp-rise" and rows[2]["z"]["loudness_db"] > 2
    assert run(["speech", "emotion", *files, "--no-transcript"], speech_settings) == 0
    table = capsys.readouterr().out
    assert "upset.wav" in table and "SHARP RISE" in table


def test_8khz_files_are_accepted(tmp_path, capsys, speech_settings):
    x = voiced(seed=1)[::2]  # crude 8 kHz
    path = _wav(tmp_path / "phone.wav", x, rate=8000)
    assert run(["speech", "emotion", path, "--no-transcript", "--json"], speech_settings) == 0
    assert json.loads(capsys.readouterr().out)[0]["prosody"]["active_s"] > 1.0


def test_fetch_refuses_a_language_it_cannot_download(capsys, speech_settings):
    assert run(["models", "fetch", "--lang", "xx"], speech_settings) == 1
    assert "no download is known for 'xx'" in capsys.readouterr().err


def test_check_explains_a_missing_model(tmp_path, capsys):
    settings = settings_mod.load(None, environ={}, models_dir=str(tmp_path))
    assert run(["models", "check"], settings) == 1
    assert "python -m engine models fetch --lang zh" in capsys.readouterr().err


def test_transcribe_prints_the_intent_or_the_text(
    tmp_path, capsys, speech_settings, zh_model, espeak
):
    espeak("ji4 shu4 zhi1 chi2", name="tech.wav")
    path = str(espeak.folder / "tech.wav")
    assert run(["speech", "transcribe", path, "--menu", "main"], speech_settings) == 0
    assert capsys.readouterr().out.strip() == "technical"
    assert run(["speech", "transcribe", path], speech_settings) == 0
    assert capsys.readouterr().out.strip() == "技术支持"
    assert run(["speech", "transcribe", path, "--menu", "nope"], speech_settings) == 1
    assert "no speech menu 'nope'" in capsys.readouterr().err


def test_models_check_loads_the_configured_model(capsys, speech_settings, zh_model):
    assert run(["models", "check"], dataclasses.replace(speech_settings)) == 0
    assert "zh:" in capsys.readouterr().out


def test_a_bad_file_is_reported_and_the_batch_goes_on(tmp_path, capsys, speech_settings):
    """Issue 16: a WAV cut inside its header gave a struct.error traceback and no output."""
    good = [_wav(tmp_path / f"{i}.wav", voiced(seed=i)) for i in range(2)]
    cut = tmp_path / "cut.wav"
    cut.write_bytes(Path(good[0]).read_bytes()[:30])  # inside the fmt chunk
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    files = [good[0], str(cut), str(empty), good[1]]
    assert run(["speech", "emotion", *files, "--no-transcript", "--json"], speech_settings) == 1
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [r["file"] for r in rows] == files
    assert "score" in rows[0] and "score" in rows[3]
    assert rows[1]["error"] == f"{cut}: WAV cut inside its header (fmt chunk)"
    assert rows[2]["error"] == f"{empty}: not a RIFF/WAVE file"
    assert "Traceback" not in captured.err and captured.err.count("error:") == 2


def test_a_long_file_is_scored_block_by_block(tmp_path, capsys, speech_settings, monkeypatch):
    from engine.speech import offline

    monkeypatch.setattr(offline, "BLOCK_SECONDS", 1.0)
    path = _wav(tmp_path / "long.wav", np.concatenate([voiced(seed=i) for i in range(3)]))
    assert run(["speech", "emotion", path, "--no-transcript", "--json"], speech_settings) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 9 and rows[1]["segment"] == [1.0, 2.0]
