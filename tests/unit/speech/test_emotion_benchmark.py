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
