"""The simulated callers' voice (engine/sim/voices.py): what Asterisk can play, and what
the model hears as the words that were meant."""

from __future__ import annotations

import wave

from engine.sim import voices


def test_a_phrase_becomes_an_8khz_mono_sound_named_for_asterisk(tmp_path):
    assert voices.missing_tools() == [], "apt-get install espeak-ng sox"
    name = voices.say(tmp_path, "t-jishu", "ji4 shu4 zhi1 chi2", amplitude=100, speed=160)
    assert name == "tenure/t-jishu"
    with wave.open(str(tmp_path / "t-jishu.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert 0.8 < w.getnframes() / 8000 < 3.0  # four syllables
