"""The menu legs' noise reduction (issue 16): streaming, transparent on clean speech,
the noise down and the speech kept in 10 dB of white noise."""

from __future__ import annotations

import numpy as np
import pytest

from engine.speech import frontend
from engine.speech.frontend import NoiseReducer

RATE = 16000


def _voiced(seconds: float, seed: int = 0) -> np.ndarray:
    """A speech-like signal in the telephone band: harmonics of a gliding 120-200 Hz
    pitch, syllables of 0.2 s with pauses between them, at about -20 dBFS."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    pitch = 160 + 40 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    x = sum(np.sin(k * phase + rng.uniform(0, 6.28)) / k for k in range(2, 16))
    syllables = (np.sin(2 * np.pi * 2.5 * t) > 0).astype(float)
    x = x * syllables
    return 3000 * x / np.sqrt(np.mean(x**2))


def _band(x: np.ndarray) -> np.ndarray:
    spectrum = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / RATE)
    spectrum[(f < 300) | (f > 3400)] = 0
    return np.fft.irfft(spectrum, len(x))


def _whole(x: np.ndarray, chunk: int = 320) -> np.ndarray:
    nr = NoiseReducer()
    parts = [nr.process(x[i : i + chunk]) for i in range(0, len(x), chunk)]
    return np.concatenate([*parts, nr.flush()])


def _snr(y: np.ndarray, ref: np.ndarray) -> float:
    n = min(len(y), len(ref))
    y, ref = y[:n], ref[:n]
    scale = np.dot(y, ref) / np.dot(ref, ref)
    error = y - scale * ref
    return float(10 * np.log10(scale * scale * np.dot(ref, ref) / np.dot(error, error)))


def test_every_sample_comes_back_in_any_chunking() -> None:
    x = _voiced(1.3) + np.random.default_rng(1).normal(0, 300, int(1.3 * RATE))
    by_20ms, by_odd = _whole(x, 320), _whole(x, 777)
    assert len(by_20ms) == len(by_odd) == len(x)
    assert np.allclose(by_20ms, by_odd)


def test_clean_speech_passes_almost_unchanged() -> None:
    """After a quarter second of line (a menu leg opens while the prompt plays)."""
    x = _band(np.concatenate([np.zeros(RATE // 4), _voiced(2.0)]))
    quiet_line = x + np.random.default_rng(2).normal(0, 3, len(x))  # about -80 dBFS
    assert _snr(_whole(quiet_line), x) > 20.0


@pytest.mark.parametrize("seed", [3, 4])
def test_ten_db_of_white_noise_is_reduced_and_the_speech_kept(seed: int) -> None:
    speech = _band(_voiced(3.0, seed))
    rng = np.random.default_rng(seed)
    sigma = np.sqrt(np.mean(speech**2) / 10.0)  # 10 dB SNR
    noise = rng.normal(0, sigma, len(speech))
    lead = rng.normal(0, sigma, RATE // 2)  # the line before the caller speaks
    out = _whole(np.concatenate([lead, speech + noise]))
    assert _snr(out[RATE // 2 :], speech) > _snr(speech + noise, speech) + 3.0
    # the noise alone comes out at least 10 dB lower (after the first quarter second)
    assert 10 * np.log10(np.mean(out[RATE // 4 : RATE // 2] ** 2) / sigma**2) < -10.0


def test_digital_silence_stays_silent_and_is_not_taken_for_the_lines_noise() -> None:
    """Zeros (the offline tools' padding), then a quiet line and speech: the zeros must not
    pull the noise estimate down to nothing, nor does the line's start cut the speech."""
    line = _band(np.concatenate([np.zeros(RATE // 4), _voiced(1.0)]))
    line += np.random.default_rng(5).normal(0, 3, len(line))
    x = np.concatenate([np.zeros(RATE // 2), line])
    out = _whole(x)
    assert np.max(np.abs(out[: RATE // 2 - 600])) < 1.0
    assert _snr(out[RATE // 2 :], x[RATE // 2 :]) > 15.0


def test_the_gain_follows_the_snr() -> None:
    xi = np.array([0.01, 1.0, 100.0])
    gain = frontend.lsa_gain(xi, xi + 1.0)
    assert gain[0] < 0.2 < gain[1] < gain[2] and 0.95 < gain[2] <= 1.0
    assert np.allclose(frontend.exp1(np.array([0.5, 1.0, 2.0])), [0.5598, 0.2194, 0.0489], 1e-3)


def test_only_16_khz() -> None:
    with pytest.raises(ValueError, match="16000"):
        NoiseReducer(rate=8000)
