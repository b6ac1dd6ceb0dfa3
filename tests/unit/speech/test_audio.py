"""WAV files of any rate and telephone encodings -> 16 kHz (no audioop, no scipy)."""

from __future__ import annotations

import shutil
import subprocess
import wave

import numpy as np
import pytest

from engine.speech import audio


def _tone(freq: float, rate: int, seconds: float = 1.0, amp: float = 0.5) -> np.ndarray:
    return amp * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)


def _write_pcm16(path, samples: np.ndarray, rate: int, channels: int = 1) -> None:
    data = np.repeat(samples[:, None], channels, axis=1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((data * 32767).astype("<i2").tobytes())


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 44100, 48000])
def test_resampling_keeps_a_tone_and_the_duration(rate):
    out = audio.resample(_tone(440, rate), rate, 16000)
    assert abs(len(out) - 16000) <= 1
    ref = _tone(440, 16000)[: len(out)]
    assert np.max(np.abs(out[200:-200] - ref[200:-200])) < 0.01


def test_downsampling_removes_what_16k_cannot_carry():
    out = audio.resample(_tone(11000, 48000), 48000, 16000)
    assert np.sqrt(np.mean(out[100:-100] ** 2)) < 0.05  # would alias to 5 kHz otherwise


def test_reads_8k_stereo_telephone_pcm(tmp_path):
    path = tmp_path / "call.wav"
    _write_pcm16(path, _tone(300, 8000, amp=0.25), 8000, channels=2)
    samples = audio.load_16k(path)
    assert len(samples) == 16000
    assert np.sqrt(np.mean(samples**2)) == pytest.approx(0.25 / np.sqrt(2), rel=0.02)


@pytest.mark.parametrize(
    "encoding",
    [
        ["-e", "u-law", "-b", "8"],
        ["-e", "a-law", "-b", "8"],
        ["-b", "24"],
        ["-e", "floating-point", "-b", "32"],
        ["-e", "unsigned", "-b", "8"],
    ],
)
def test_reads_g711_24_bit_float_and_8_bit(tmp_path, encoding):
    if shutil.which("sox") is None:
        pytest.skip("sox is not installed")
    src, dst = tmp_path / "src.wav", tmp_path / "dst.wav"
    _write_pcm16(src, _tone(300, 8000, amp=0.5), 8000)
    subprocess.run(["sox", str(src), *encoding, str(dst)], check=True)
    samples, rate = audio.read_wav(dst)
    original, _ = audio.read_wav(src)
    assert rate == 8000
    assert np.corrcoef(samples[: len(original)], original)[0, 1] > 0.99


def test_not_a_wav_is_a_clear_error(tmp_path):
    (tmp_path / "x.wav").write_bytes(b"ID3 not audio")
    with pytest.raises(audio.AudioError, match="not a RIFF/WAVE"):
        audio.read_wav(tmp_path / "x.wav")


def test_pcm16_round_trip():
    x = np.array([0.0, 0.5, -0.5, 1.0, -1.0])
    assert np.allclose(audio.from_pcm16(audio.to_pcm16(x)), x, atol=1e-4)
