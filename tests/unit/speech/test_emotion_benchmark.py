"""Smoke run of benchmarks/emotion.py on generated telephone-band clips (no timing)."""

from __future__ import annotations

import shutil

import pytest

from benchmarks import emotion


def test_emotion_benchmark_smoke(tmp_path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is missing: apt-get install espeak-ng")
    assert emotion.generate(tmp_path, speakers=2) == 48
    (tmp_path / "broken.wav").write_bytes(b"RIFF")
    with open(tmp_path / "labels.csv", "a") as fh:
        fh.write("broken.wav,s00,angry\n")
    result = emotion.run(tmp_path)
    assert result["clips"] == 48 and result["speakers"] == 2
    assert result["errors"] == [f"{tmp_path / 'broken.wav'}: not a RIFF/WAVE file"]
    assert result["auc_score"] > 0.5 and result["auc_feature"]["loudness_db"] > 0.5
    assert "plain baseline" in emotion.render(result)


def test_emodb_is_imported_at_the_telephone_band_with_its_labels(tmp_path) -> None:
    """``--corpus emodb DIR``: speaker and emotion from the file names (W anger, N
    neutral, L boredom...; E disgust left out), 8 kHz copies outside the corpus."""
    import csv
    import wave

    import numpy as np

    source = tmp_path / "emodb" / "wav"
    source.mkdir(parents=True)
    tone = (np.sin(np.arange(16000) * 2 * np.pi * 200 / 16000) * 8000).astype("<i2")
    for name in ("03a01Wa.wav", "03a01Nc.wav", "16b10Lb.wav", "03a02Ea.wav", "notes.wav"):
        with wave.open(str(source / name), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(tone.tobytes())
    out = tmp_path / "phone"
    assert emotion.import_emodb(tmp_path / "emodb", out) == 3
    with open(out / "labels.csv") as fh:
        rows = [(r["file"], r["speaker"], r["emotion"]) for r in csv.DictReader(fh)]
    assert rows == [
        ("03a01Nc.wav", "03", "neutral"),
        ("03a01Wa.wav", "03", "angry"),
        ("16b10Lb.wav", "16", "bored"),
    ]
    with wave.open(str(out / "03a01Wa.wav")) as w:
        assert w.getframerate() == 8000 and w.getnframes() == 8000
    assert "bored" in emotion.LOW and "angry" in emotion.HIGH
    with pytest.raises(SystemExit, match="no EmoDB WAV files"):
        emotion.import_emodb(tmp_path / "phone" / "none", tmp_path / "x")
