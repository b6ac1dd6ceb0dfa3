"""An unsure spoken intent is confirmed before it routes (issue 16): "您是要查询账单吗？
请按1". Pure IVR state, then the call's actions."""

import pytest

from engine.calls import actions as a
from engine.calls import events as e
from engine.calls.ports import SpeechPlan
from engine.calls.state import InboundCall
from engine.ivr.menu import Confirm, IvrSession, PlayMenu, Route
from tests.unit.calls.test_ivr_speech import CONFIG
from tests.unit.calls.test_speech_state import IVR

ASK = ("sound:tenure/confirm-billing",)
PLAN = SpeechPlan(
    ("zh",),
    frozenset({("zh", "main"), ("zh", "language")}),
    confirmations={("zh", "main", "billing"): ASK},
)


def confirming(intent: str = "billing") -> IvrSession:
    ivr = IvrSession(CONFIG)
    ivr.start("zh")
    assert ivr.on_confirm(intent) == Confirm("main", intent, 5.0)
    assert ivr.confirming == intent and ivr.path[-1] == f"main:confirm:{intent}?"
    return ivr


@pytest.mark.parametrize(
    ("answer", "step", "path"),
    [
        (lambda s: s.on_digit("1"), Route("billing", None, "zh"), "main:confirm:billing:yes:key:1"),
        (lambda s: s.on_yes(), Route("billing", None, "zh"), "main:confirm:billing:yes:say:yes"),
        (lambda s: s.on_digit("2"), PlayMenu("main", ("sound:hello",), 5.0), "key:2"),
        (lambda s: s.on_digit("#"), PlayMenu("main", ("sound:hello",), 5.0), "key:#"),
        (lambda s: s.on_no_match(), PlayMenu("main", ("sound:hello",), 5.0), "say:no"),
        (lambda s: s.on_timeout(), PlayMenu("main", ("sound:hello",), 5.0), "timeout"),
        (
            lambda s: s.on_intent("technical"),
            Route("technical", "technical", "zh"),
            "main:say:technical",
        ),
    ],
)
def test_key_1_or_yes_routes_anything_else_returns_to_the_menu(answer, step, path):
    ivr = confirming()
    assert answer(ivr) == step
    assert ivr.path[-1].endswith(path) and ivr.confirming is None


def test_a_no_answer_is_not_a_no_match_and_uses_a_retry_like_a_timeout():
    ivr = confirming()
    ivr.on_no_match()
    assert ivr.no_matches == {} and ivr.speech_allowed("main")
    assert ivr.attempts == 1
    for _ in range(3):  # retries: 3 in this menu
        ivr.on_confirm("billing")
        last = ivr.on_timeout()
    assert last == Route("general", None, "zh"), "the menu's default after its retries"


def test_yes_without_a_question_is_a_no_match_and_an_intent_without_an_option_too():
    ivr = IvrSession(CONFIG)
    ivr.start("zh")
    assert ivr.on_yes().menu == "main" and ivr.path[-1] == "main:no-match"
    assert ivr.on_confirm("weather").menu == "main" and ivr.path[-2] == "main:no-match"
    assert ivr.confirming is None


def test_a_key_other_than_1_after_the_question_is_not_taken_as_that_option():
    ivr = confirming()
    assert isinstance(ivr.on_digit("2"), PlayMenu), "2 answers the question, it is no 'billing'"


# -- the call's actions --------------------------------------------------------------
def in_menu(plan=PLAN):
    call = InboundCall("c1", IVR, ring_timeout=10, speech=plan)
    call.handle(e.CallerArrived("c1", "139", "8000"), 100.0)
    call.handle(e.Identified(None), 100.1)
    return call


def test_unsure_intent_plays_the_question_and_key_1_routes():
    call = in_menu()
    acts = call.handle(e.SpeechConfirm("main", "billing"), 101.0)
    play = acts[-1]
    assert isinstance(play, a.Play) and play.media == ASK and play.lang == "zh"
    assert call.status == "ivr" and call.record["ivr_path"][-1] == "main:confirm:billing?"
    assert not any(isinstance(x, a.Enqueue) for x in acts), "never routed before the answer"
    assert call.handle(e.PlaybackDone(play.playback_id), 102.0) == [a.StartTimer("digit", 4.0)]
    acts = call.handle(e.Digit("1"), 103.0)
    assert any(isinstance(x, a.Enqueue) and x.request.queue == "billing" for x in acts)
    assert call.record["ivr_path"][-1] == "main:confirm:billing:yes:key:1"


def test_a_spoken_yes_routes_and_anything_else_replays_the_menu():
    call = in_menu()
    call.handle(e.SpeechConfirm("main", "billing"), 101.0)
    acts = call.handle(e.SpeechYes("main"), 102.0)
    assert any(isinstance(x, a.Enqueue) and x.request.queue == "billing" for x in acts)

    call = in_menu()
    call.handle(e.SpeechConfirm("main", "billing"), 101.0)
    acts = call.handle(e.SpeechNoMatch("main"), 102.0)
    assert isinstance(acts[-1], a.Play) and acts[-1].media == ("sound:hello", "sound:vm-press")
    assert call.status == "ivr" and call.ivr.confirming is None


def test_without_a_question_for_the_language_an_unsure_intent_is_a_no_match():
    call = in_menu(plan=SpeechPlan(("zh",), frozenset({("zh", "main")})))
    acts = call.handle(e.SpeechConfirm("main", "billing"), 101.0)
    assert not any(isinstance(x, a.Enqueue) for x in acts)
    assert call.record["ivr_path"][-2:] == ["main:confirm:billing:unasked", "main:no-match"]
    assert isinstance(acts[-1], a.Play) and acts[-1].media[0] == "sound:please-try-again"


# -- the answer, kept with the transcript ------------------------------------------------
def asked(call: InboundCall, at: float) -> None:
    """The question is asked and has played (the digit timer runs)."""
    play = call.handle(e.SpeechConfirm("main", "billing"), at)[-1]
    call.handle(e.PlaybackDone(play.playback_id), at + 0.5)


@pytest.mark.parametrize(
    ("answer", "note"),
    [
        (e.Digit("1"), ("yes", "key:1", "queue:billing")),
        (e.SpeechYes("main"), ("yes", "say:yes", "queue:billing")),
        (e.Digit("2"), ("no", "key:2", "menu:main")),
        (e.SpeechNoMatch("main"), ("no", "say:no", "menu:main")),
        (e.TimerFired("digit"), ("no", "timeout", "menu:main")),
    ],
)
def test_the_answer_by_key_or_voice_and_where_it_led_is_recorded_once(answer, note):
    call = in_menu()
    asked(call, 101.0)
    acts = call.handle(answer, 103.0)
    recorded = [x for x in acts if isinstance(x, a.RecordAnswer)]
    assert recorded == [a.RecordAnswer("c1", "zh", "main", "billing", *note, 103.0)]
    assert call.record["ivr_path"][-1].endswith(f":{note[0]}:{note[1]}")
    if note[0] == "no":  # the menu again: its timeout is no answer
        play = next(x for x in acts if isinstance(x, a.Play))
        call.handle(e.PlaybackDone(play.playback_id), 104.0)
        later = call.handle(e.TimerFired("digit"), 110.0)
        assert call.record["ivr_path"][-1] == "main:timeout"
        assert not any(isinstance(x, a.RecordAnswer) for x in later)


def test_a_no_after_the_last_retry_led_to_the_menu_default():
    call = in_menu()
    for n in range(3):  # retries: 2 in this menu
        asked(call, 101.0 + n)
        acts = call.handle(e.TimerFired("digit"), 102.0 + n)
    [note] = [x for x in acts if isinstance(x, a.RecordAnswer)]
    assert (note.answer, note.by, note.led_to) == ("no", "timeout", "queue:general")


def test_an_intent_said_clearly_instead_of_an_answer_or_an_unasked_question_records_none():
    call = in_menu()
    call.handle(e.SpeechConfirm("main", "billing"), 101.0)
    acts = call.handle(e.SpeechIntent("main", "technical"), 102.0)
    assert not any(isinstance(x, a.RecordAnswer) for x in acts)
    call = in_menu(plan=SpeechPlan(("zh",), frozenset({("zh", "main")})))
    acts = call.handle(e.SpeechConfirm("main", "billing"), 101.0)
    assert not any(isinstance(x, a.RecordAnswer) for x in acts)
