"""The listening budget's size: legs per worker from a measured real-time factor."""

from __future__ import annotations

import pytest

from engine.speech import calibrate


@pytest.mark.parametrize(
    "audio_s, cpu_s, workers, margin, legs",
    [
        (4.0, 2.5, 2, 0.3, 2),  # rtf 0.63: one leg per worker (this machine, loaded)
        (4.0, 1.0, 2, 0.3, 4),  # rtf 0.25: 0.7 / 0.25 = 2.8 -> 2 per worker
        (4.0, 0.4, 4, 0.3, 28),  # rtf 0.1: 7 per worker
        (4.0, 0.4, 4, 0.5, 20),  # a larger margin
        (4.0, 8.0, 2, 0.3, 1),  # slower than real time: still one leg
        (0.0, 1.0, 2, 0.3, 1),  # nothing measured
        (4.0, 0.0, 1, 0.3, 2_800_000),  # no CPU counted: bounded by the 1 us floor
    ],
)
def test_budget_from_the_real_time_factor(audio_s, cpu_s, workers, margin, legs):
    assert calibrate.budget(audio_s, cpu_s, workers, margin) == legs


def test_sample_audio_is_the_bundled_speech_or_noise(tmp_path):
    pcm = calibrate.sample_audio(2.0)
    assert len(pcm) == 2 * 16000 * 2 and any(pcm)
    noise = calibrate.sample_audio(1.0, sounds=tmp_path)  # no prompts: modulated noise
    assert len(noise) == 16000 * 2 and any(noise)


def test_measure_decodes_real_audio_on_this_thread(zh_model):
    audio_s, cpu_s = calibrate.measure(zh_model, calibrate.sample_audio(2.0), "zh")
    assert audio_s == 2.0 and cpu_s > 0
    print(f"calibration: 2 s of audio in {cpu_s:.3f} CPU s (rtf {cpu_s / audio_s:.3f})")
