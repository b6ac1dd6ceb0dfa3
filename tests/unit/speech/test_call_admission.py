"""The listening adapter taps only admitted legs; a freed slot taps the best waiting one.

ARI taps and the leg listener are stand-ins here (what is opened is what is counted);
tests/integration/test_speech_budget.py counts real Asterisk channels."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
import structlog

from engine.ari.errors import AriNotFound
from engine.calls import events as e
from engine.calls.ports import Caller
from engine.speech import calls as calls_mod
from engine.speech.admission import Admission
from engine.speech.calls import CallSpeech
from engine.speech.results import Transcript
from engine.speech.taps import Tap


class Taps:
    def __init__(self, fail: set[str] | None = None) -> None:
        self.open_ids: list[str] = []
        self.closed: list[str] = []
        self.fail = fail or set()

    async def open(self, tap_id: str, channel: str, host: str, args: str) -> Tap:
        await asyncio.sleep(0)
        if channel in self.fail:
            raise RuntimeError("ARI: 500 snoop failed")
        if channel.startswith("gone"):
            raise AriNotFound(404, "Provided channel was not found", "POST", "/snoop")
        self.open_ids.append(channel)
        return Tap(tap_id)

    async def close(self, tap: Tap) -> None:
        self.closed.append(tap.tap_id)


class Listener:
    external_host = "127.0.0.1:30000"
    opened = 0

    @classmethod
    async def open(cls, *args: Any, **kwargs: Any) -> Listener:
        cls.opened += 1
        return cls()

    async def switch(self, menu: str | None) -> None: ...
    async def stop(self) -> None: ...


@pytest.fixture
def speech(monkeypatch) -> tuple[CallSpeech, Taps]:
    monkeypatch.setattr(calls_mod, "LegListener", Listener)
    taps = Taps(fail={"ch-bad"})
    feed = SimpleNamespace(publish=lambda *a: None, transcripts_channel=lambda c: c)
    cs = CallSpeech(None, None, taps, feed, admission=Admission(1), tap_settle=0)  # type: ignore[arg-type]
    return cs, taps


def call(n: int, vip: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(call_id=f"c{n}", caller=Caller(f"k{n}", vip_tier=vip), record={})


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_legs_beyond_the_budget_wait_untapped_and_a_vip_gets_the_freed_slot(speech):
    cs, taps = speech
    heard: list[Any] = []
    for n, vip in ((1, None), (2, None), (3, "gold")):
        await cs.listen(f"c{n}", "caller", f"ch{n}", "zh", None, heard.append, call(n, vip))
    assert taps.open_ids == ["ch1"]
    assert [w["call_id"] for w in cs.admission.snapshot(0)["waiting"]] == ["c3", "c2"]
    await cs.stop("c1", "caller")
    await settle()
    assert taps.open_ids == ["ch1", "ch3"] and len(taps.closed) == 1
    cs.forget("c2")  # hung up while waiting: leaves the queue, nothing to close
    await settle()
    assert cs.admission.snapshot(0)["waiting"] == [] and len(taps.closed) == 1
    await cs.stop("c3", "caller")
    await settle()
    assert cs.admission.snapshot(0)["admitted"] == 0 and heard == []


async def test_a_leg_whose_call_ends_as_it_is_admitted_is_never_tapped(speech):
    """Calls ending one after another: the slot each frees goes to a leg whose call ends
    within the settle time; that leg costs no tap, and the next one still gets the slot."""
    cs, taps = speech
    cs.tap_settle = 0.05
    for n in (1, 2, 3):
        await cs.listen(f"c{n}", "caller", f"ch{n}", "zh", None, print, call(n))
    await cs.stop("c1", "caller")
    await settle()
    assert cs.admission.snapshot(0)["admitted"] == 1  # c2's, settling: nothing tapped yet
    await cs.stop("c2", "caller")  # its call ended within the settle time
    await asyncio.sleep(0.2)
    assert taps.open_ids == ["ch1", "ch3"] and len(taps.closed) == 1
    assert cs.admission.snapshot(0)["waiting"] == []


async def test_ivr_menus_are_tapped_beyond_the_budget(speech):
    cs, taps = speech
    await cs.listen("c1", "agent", "ch1", "zh", None, print, call(1))
    await cs.listen("c2", "caller", "ch2", "zh", "main", print, call(2))
    assert taps.open_ids == ["ch1", "ch2"]
    assert cs.admission.snapshot(0)["admitted_by_kind"] == {"ivr": 1, "caller": 0, "agent": 1}


async def test_a_caller_out_of_the_menu_over_the_budget_is_untapped_until_a_slot_frees(
    speech,
):
    """Budget 1, one caller heard: a second caller's menu is tapped anyway; routed, the
    caller's tap comes down (not switched to free-form) and the leg waits; when the first
    call ends the leg is tapped again, free-form."""
    cs, taps = speech
    switched: list[str | None] = []

    class Switching(Listener):
        async def switch(self, menu: str | None) -> None:
            switched.append(menu)

    calls_mod.LegListener = Switching  # (the fixture's monkeypatch restores it)
    await cs.listen("c1", "caller", "ch1", "zh", None, print, call(1))
    await cs.listen("c2", "caller", "ch2", "zh", "main", print, call(2))
    assert taps.open_ids == ["ch1", "ch2"]
    await cs.listen("c2", "caller", "ch2", "zh", None, print, call(2))
    assert [t.split("-")[:3] for t in taps.closed] == [["c2", "hear", "caller"]]
    assert switched == []
    leg = cs.legs[("c2", "caller")]
    assert leg.waiting and leg.tap is None and leg.listener is None and leg.menu is None
    assert [w["call_id"] for w in cs.admission.snapshot(0)["waiting"]] == ["c2"]
    await cs.stop("c1", "caller")
    await settle()
    assert taps.open_ids == ["ch1", "ch2", "ch2"] and not cs.legs[("c2", "caller")].waiting
    assert cs.admission.snapshot(0)["admitted_by_kind"] == {"ivr": 0, "caller": 1, "agent": 0}


async def test_an_agitated_caller_moves_up_and_a_failed_late_tap_is_reported(speech):
    cs, taps = speech
    heard: list[Any] = []
    await cs.listen("c1", "caller", "ch1", "zh", None, heard.append, call(1))
    await cs.listen("c2", "caller", "ch2", "zh", None, heard.append, call(2))
    await cs.listen("c3", "caller", "ch-bad", "zh", None, heard.append, call(3))
    angry = call(3)
    angry.record["emotion"] = {"score": 0.9, "label": "angry"}
    cs.admission.restand("c3", calls_mod.standing_of(angry), 0)
    await cs.stop("c1", "caller")
    await settle()  # c3 first; its tap fails: reported, its slot goes on to c2
    assert heard == [e.ListenFailed("caller", "RuntimeError")]
    assert taps.open_ids == ["ch1", "ch2"]
    assert ("c3", "caller") not in cs.legs


async def test_a_waiting_leg_whose_call_ended_is_not_a_failure(speech):
    """Admitted just as its call ends: the snoop finds no channel (404). Not a warning,
    nothing delivered to the ended call; the slot goes on to the next waiting leg."""
    cs, taps = speech
    heard: list[Any] = []
    await cs.listen("c1", "caller", "ch1", "zh", None, heard.append, call(1))
    await cs.listen("c2", "caller", "gone2", "zh", None, heard.append, call(2))
    await cs.listen("c3", "caller", "ch3", "zh", None, heard.append, call(3))
    with structlog.testing.capture_logs() as logs:
        await cs.stop("c1", "caller")
        await settle()
    assert heard == [] and taps.open_ids == ["ch1", "ch3"]
    assert [x["event"] for x in logs if x["log_level"] == "warning"] == []
    assert ("c2", "caller") not in cs.legs


async def test_menu_decisions_are_timed_from_the_end_of_speech(speech, monkeypatch):
    """/status's ``menu_decisions``: from the caller's end of speech (leg clock + the
    recogniser's mark) to the intent or no-match reaching the call."""
    cs, _ = speech
    stored: list[Any] = []
    cs.feed = SimpleNamespace(
        publish=lambda *a: None, transcripts_channel=lambda c: c, store_final=stored.append
    )
    heard: list[Any] = []
    await cs.listen("c1", "caller", "ch1", "zh", "main", heard.append, call(1))
    leg = cs.legs[("c1", "caller")]
    leg.listener = SimpleNamespace(clock=1000.0)
    monkeypatch.setattr(calls_mod.time, "time", lambda: 1005.25)
    for intent, end in (("technical", 5.0), (None, 5.1), ("billing", None)):
        final = Transcript(
            "l",
            "caller",
            "zh",
            "final",
            "x",
            0.0,
            5.0,
            0.0,
            menu="main",
            intent=intent,
            speech_end=end,
        )
        cs._transcript(leg, final)
    assert heard == [
        e.SpeechIntent("main", "technical"),
        e.SpeechNoMatch("main"),
        e.SpeechIntent("main", "billing"),
    ]
    stats = cs.decision_stats()
    assert stats == {"decided": 3, "timed": 2, "p50_ms": 200.0, "p99_ms": 250.0, "max_ms": 250.0}
