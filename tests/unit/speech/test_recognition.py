"""Recognition with the real Mandarin model on espeak-ng speech (`-v cmn-latn-pinyin`).

The model is found through settings (``models_dir`` / ``speech_models``); see conftest
for what happens when it is missing.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess

import numpy as np
import pytest

from engine.media import rtp
from engine.media.server import MediaServer
from engine.speech import audio, offline
from engine.speech.legs import LegListener
from engine.speech.menus import load as load_menus
from engine.speech.service import SpeechService
from tests.conftest import free_port
from tests.unit.speech.conftest import SKILLS

TECHNICAL = "ji4 shu4 zhi1 chi2"  # 技术支持


@pytest.fixture(scope="module")
def main_menu():
    return load_menus(SKILLS / "speech-menus.yaml").get("zh", "main")


def test_grammar_recognises_technical_support(zh_model, espeak, main_menu):
    finals = offline.transcribe(espeak(TECHNICAL), zh_model, "zh", main_menu)
    assert offline.intent_of(finals) == "technical"
    final = next(t for t in finals if t.intent)
    assert final.text == "技术支持" and final.kind == "final" and final.menu == "main"
    assert 0.3 < final.start < final.end < 2.5
    assert [w.word for w in final.words] == ["技术", "支持"]


def test_a_menu_decodes_what_is_said_not_the_silence_around_it(
    zh_model, espeak, main_menu, monkeypatch
):
    """The speech gate: a caller silent for 4 s over the prompt, then 技术支持: the same
    intent, words at the same times on the leg, and a fraction of the audio decoded."""
    from engine.speech import recognizer

    x = np.concatenate([np.zeros(4 * 16000), espeak(TECHNICAL), np.zeros(3 * 16000)])
    pcm = audio.to_pcm16(x)
    heard = {}
    for gate in (False, True):
        monkeypatch.setattr(recognizer, "SPEECH_GATE", gate)
        rec = recognizer.Recognizer(zh_model, "leg", lang="zh", menu=main_menu)
        finals = []
        for i in range(0, len(pcm), 640):
            finals += [t for t in rec.accept(pcm[i : i + 640]) if t.kind == "final"]
        finals += rec.finish()
        decoded = rec._fed / 16000
        heard[gate] = (finals, decoded, rec.position)
    (plain, all_of_it, length), (gated, decoded, gated_length) = heard[False], heard[True]
    assert offline.intent_of(plain) == offline.intent_of(gated) == "technical"
    a, b = next(t for t in plain if t.intent), next(t for t in gated if t.intent)
    assert abs(a.start - b.start) < 0.05 and abs(a.end - b.end) < 0.05
    assert 4.0 < b.start < b.end < 6.5
    assert length == pytest.approx(len(x) / 16000) == gated_length  # every sample counted
    assert decoded < 0.5 * all_of_it


@pytest.mark.parametrize("snr_db", [None, 10.0])
def test_menu_noise_reduction_hears_the_phrase_clean_and_in_noise(
    zh_model, espeak, main_menu, snr_db
):
    """speech_menu_denoise: the phrase still names its intent (and its words keep their
    times) on clean audio and in 10 dB of white noise over the whole leg."""
    x = espeak(TECHNICAL)
    x = np.concatenate([np.zeros(4000), x, np.zeros(4000)])
    if snr_db is not None:
        sigma = np.sqrt(np.mean(x[4000:-4000] ** 2) / 10 ** (snr_db / 10))
        x = x + np.random.default_rng(7).normal(0, sigma, len(x))
    finals = offline.transcribe(x, zh_model, "zh", main_menu, denoise=True)
    assert offline.intent_of(finals) == "technical"
    final = next(t for t in finals if t.intent)
    assert 0.5 < final.start < final.end < 3.0


def test_the_service_takes_the_menu_noise_setting(monkeypatch, zh_model) -> None:
    from engine import settings as settings_mod

    monkeypatch.setenv("ENGINE_SPEECH_MENU_DENOISE", "true")
    service = SpeechService.from_settings(settings_mod.load(None), models=_Store(zh_model))
    assert service.denoise is True


class _Store:
    def __init__(self, model) -> None:
        self.model, self.languages = model, ["zh"]

    def get(self, lang: str):
        return self.model


@pytest.mark.parametrize(
    "pinyin, intent",
    [("jiao3 fei4", "billing"), ("ren2 gong1", "general"), ("tian1 qi4 zen3 me5 yang4", None)],
)
def test_other_intents_and_a_no_match(zh_model, espeak, main_menu, pinyin, intent):
    finals = offline.transcribe(espeak(pinyin), zh_model, "zh", main_menu)
    assert offline.intent_of(finals) == intent
    if intent is None:
        assert finals and all(t.no_match for t in finals)


def test_free_form_transcribes(zh_model, espeak):
    finals = offline.transcribe(espeak(TECHNICAL), zh_model, "zh")
    assert "".join(t.text for t in finals) == "技术支持"
    assert finals[0].intent is None and finals[0].menu is None


def test_8khz_mu_law_telephone_audio(zh_model, espeak, main_menu, tmp_path):
    if shutil.which("sox") is None:
        pytest.skip("sox is not installed")
    espeak(TECHNICAL, name="technical.wav")
    phone = tmp_path / "phone.wav"
    subprocess.run(
        ["sox", str(espeak.folder / "technical.wav"), "-r", "8000", "-e", "u-law", str(phone)],
        check=True,
    )
    finals = offline.transcribe_file(phone, zh_model, "zh", main_menu)
    assert offline.intent_of(finals) == "technical"


async def _send_paced(port: int, pcm: bytes, swap_every: int = 7) -> float:
    """Send 20 ms RTP packets at real time, swapping neighbours now and then; returns t0."""
    packets = [
        rtp.build(i, i * 320, 0x1234, rtp.native_to_slin(pcm[o : o + 640]))
        for i, o in enumerate(range(0, len(pcm), 640))
    ]
    for i in range(swap_every, len(packets) - 1, swap_every):
        packets[i], packets[i + 1] = packets[i + 1], packets[i]
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for i, packet in enumerate(packets):
            sender.sendto(packet, ("127.0.0.1", port))
            await asyncio.sleep(max(0.0, t0 + (i + 1) * 0.02 - loop.time()))
    return t0


async def test_a_live_leg_over_rtp_gives_partials_an_intent_and_an_emotion_score(
    speech_settings, model_store, espeak
):
    speech = SpeechService.from_settings(speech_settings, model_store)
    await speech.start()
    start = free_port()
    media = MediaServer("127.0.0.1", start, start + 10)
    heard, scores, arrived = [], [], {}

    def on_transcript(t):
        heard.append(t)
        if t.intent:
            arrived["intent"] = asyncio.get_running_loop().time()

    leg = await LegListener.open(
        media,
        speech,
        "call-1/caller",
        role="caller",
        lang="zh",
        menu="main",
        on_transcript=on_transcript,
        on_emotion=lambda t, s, e: scores.append(s),
    )
    pcm = audio.to_pcm16(np.concatenate([np.zeros(8000), espeak(TECHNICAL), np.zeros(16000)]))
    t0 = await _send_paced(leg.media_leg.port, pcm)
    await leg.stop()
    await speech.stop()
    finals = [t for t in heard if t.kind == "final"]
    assert [t.intent for t in finals] == ["technical"]
    assert any(t.kind == "partial" for t in heard)
    assert finals[0].speech_end is not None
    # how soon after the end of speech: benchmarks/speech.py measures it (not a timed test)
    assert arrived["intent"] >= t0 + finals[0].speech_end
    assert len(scores) == 1 and scores[0].label == "calm"
    assert media.ports_in_use == frozenset() and speech.pool.sessions == {}


async def test_agent_legs_are_transcribed_without_emotion(speech_settings, model_store, espeak):
    speech = SpeechService.from_settings(speech_settings, model_store)
    await speech.start()
    results = []
    session = speech.open("call-2/agent", lang="zh", role="agent", on_result=results.extend)
    pcm = audio.to_pcm16(np.concatenate([np.zeros(8000), espeak(TECHNICAL), np.zeros(8000)]))
    for offset in range(0, len(pcm), 640):  # real time, or slower when the host is busy
        session.feed(pcm[offset : offset + 640])
        await asyncio.sleep(0.02)
        # a busy host must not push the pool to overload (agent audio dropped): that is
        # test_degrade.py's subject, not this test's
        for _ in range(1500):
            if session.waiting < 0.25:
                break
            await asyncio.sleep(0.02)
    assert speech.pool.level == 0
    await session.close()
    await speech.stop()
    finals = [t for t in results if t.kind == "final"]
    assert "".join(t.text for t in finals) == "技术支持"
    assert all(t.role == "agent" and t.analysis is None for t in results)
