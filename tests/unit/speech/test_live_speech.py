"""Live speech plumbing without a model: messages and envelopes, the transcripts table,
the feed when Redis is down, and a leg that counts missing audio as silence (issue 6)."""

from __future__ import annotations

import socket

import redis.asyncio as aioredis

from engine.calls.actions import ShowEmotion
from engine.media.server import MediaServer
from engine.speech import legs as legs_mod
from engine.speech import messages
from engine.speech.feed import TranscriptFeed
from engine.speech.legs import LegListener
from engine.speech.results import Transcript, Word
from engine.speech.schema import migrations
from engine.speech.store import TranscriptStore
from engine.store.database import Database

FINAL = Transcript(
    "c1-hear-caller-1",
    "caller",
    "zh",
    "final",
    "我要投诉",
    1.5,
    2.4,
    started_at=0.0,
    words=(Word("我", 1.5, 1.7, 0.9),),
)
RISE = ShowEmotion(
    "c1",
    0.91,
    "angry",
    0.5,
    1000.0,
    "2001",
    "k1",
    2,
    0.2,
    ("louder (+3.0 sd)", "complaint word: 投诉"),
)


def test_segment_carries_role_timing_and_words():
    seg = messages.segment("c1", FINAL, 1000.0)
    assert seg["type"] == "transcript" and seg["role"] == "caller" and seg["kind"] == "final"
    assert seg["at"] == 1000.0 and (seg["start"], seg["end"]) == (1.5, 2.4)
    assert seg["words"] == [{"word": "我", "start": 1.5, "end": 1.7, "conf": 0.9}]


def test_emotion_alert_hint_and_envelopes():
    assert messages.alert(RISE)["agent_id"] == "2001" and messages.alert(RISE)["n"] == 2
    assert "angry" in messages.hint(RISE)["text"]
    envelope = messages.emotion_envelope(RISE)
    assert envelope == {
        "id": "emotion-c1-2",
        "type": "call.emotion",
        "customer_id": "k1",
        "at": 1000.0,
        "source": "speech",
        "data": {"call_id": "c1", "score": 0.91, "label": "angry"},
    }


def test_call_transcript_envelope_leaves_out_ivr_results():
    segments = [
        {"role": "caller", "text": "技术支持", "menu": "main"},
        {"role": "agent", "text": "您好", "menu": None},
        {"role": "caller", "text": "我要投诉", "menu": None},
    ]
    text = messages.conversation(segments)
    assert text == "agent: 您好\ncaller: 我要投诉"
    env = messages.transcript_envelope("c1", "k1", 1010.0, text, ["投诉", "投诉"])
    assert env["id"] == "transcript-c1" and env["type"] == "call.transcript"
    assert env["data"] == {"call_id": "c1", "text": text, "complaint_words": ["投诉"]}


async def test_finals_are_stored_and_read_back_in_order(tmp_path):
    db = await Database(tmp_path / "t.db", [migrations]).open()
    store = TranscriptStore(db)
    late = messages.segment("c1", FINAL, 1005.0)
    early = {**messages.segment("c1", FINAL, 1001.0), "role": "agent"}
    await store.add([late, early, messages.segment("c2", FINAL, 1000.0)])
    rows = await store.for_call("c1")
    assert [r["role"] for r in rows] == ["agent", "caller"]
    assert rows[1]["words"][0]["word"] == "我" and rows[1]["text"] == "我要投诉"
    assert await store.for_call("nope") == []
    await db.close()


async def test_redis_down_loses_live_messages_but_never_stored_finals(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    redis = aioredis.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=0.5)
    db = await Database(tmp_path / "t.db", [migrations]).open()
    feed = TranscriptFeed(redis, "tenure", TranscriptStore(db))
    row = messages.segment("c1", FINAL, 1000.0)
    feed.publish(feed.transcripts_channel("c1"), row)
    feed.store_final(row)
    row["emotion_label"] = "angry"  # completed in the same callback round
    await feed.flush()
    assert feed.published == 0 and feed.stored == 1
    assert (await TranscriptStore(db).for_call("c1"))[0]["emotion_label"] == "angry"
    await redis.aclose()
    await db.close()


class Sessions:
    """Stands in for the speech service: records what each session is fed."""

    def __init__(self) -> None:
        self.fed: list[bytes] = []

    def open(self, leg_id, **kwargs):
        return self

    def feed(self, pcm: bytes) -> None:
        self.fed.append(pcm)

    async def close(self) -> None:
        return None


async def test_a_leg_counts_missing_audio_as_silence_for_a_bounded_time():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        start = s.getsockname()[1]
    media = MediaServer("127.0.0.1", start, min(65535, start + 5))
    speech = Sessions()
    leg = await LegListener.open(
        media, speech, "c1-hear-caller-1", role="agent", lang="zh", on_transcript=lambda t: None
    )
    leg.feed(b"\x01\x00" * 320)
    assert leg.clock is not None, "the session's clock starts with its first audio"
    loop_now = leg._loop.time()
    leg._last_audio = loop_now - 0.5  # half a second without a packet
    leg._on_gap()
    silence = [f for f in speech.fed[1:] if f == bytes(640)]
    assert len(silence) == 25
    leg._last_audio = loop_now - 30.0  # a long quiet: at most FILL is filled
    leg._on_gap()
    assert len(speech.fed) - 1 == int(legs_mod.FILL / 0.02)
    leg.feed(b"\x01\x00" * 320)  # audio again: a new gap may be filled
    assert leg._filled == 0.0
    await leg.stop()
    assert leg._gap is None and media.ports_in_use == frozenset()


async def test_speech_plan_follows_menus_and_a_broken_reload_keeps_the_last_good(
    speech_settings, model_store, tmp_path
):
    import dataclasses
    import shutil

    from engine.ari.client import AriClient
    from engine.calls.ports import SpeechPlan
    from engine.speech.live import LiveSpeech
    from tests.unit.speech.conftest import SKILLS

    shutil.copy(SKILLS / "speech-menus.yaml", tmp_path / "speech-menus.yaml")
    settings = dataclasses.replace(speech_settings, skills_dir=str(tmp_path))
    redis = aioredis.from_url("redis://127.0.0.1:1/0")
    ari = AriClient("http://127.0.0.1:1/ari", "u", "p")
    live = LiveSpeech(settings, ari, redis, TranscriptStore(Database(":memory:")))
    assert dataclasses.replace(live.plan, confirmations={}) == SpeechPlan(
        ("zh",), frozenset({("zh", "main"), ("zh", "language")})
    )
    asked = live.plan.confirm_media("zh", "main", "billing")
    assert asked is not None and asked[0].startswith("sound:tenure/confirm-"), "a question"
    (tmp_path / "speech-menus.yaml").write_text("zh: {menus: {main: [oops]}}\n")
    live.reload()
    assert ("zh", "main") in live.plan.menus, "the last good menus stay"
    (tmp_path / "speech-menus.yaml").write_text("zh: {menus: {main: {general: [人工]}}}\n")
    live.reload()
    assert live.plan.menus == frozenset({("zh", "main")})
    assert live.plan.confirm_media("zh", "main", "general") is None, "no question: no-match"
    assert live.service.menus.get("zh", "main").match("人工") == "general"
    await ari.close()
    await redis.aclose()
