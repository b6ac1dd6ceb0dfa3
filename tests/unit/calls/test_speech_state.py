"""Speech in the inbound call's pure state: which legs are heard, barge-in, intents,
the no-match fallback to keys, transcription once connected, emotion (issue 6)."""

from engine.calls import actions as a
from engine.calls import events as e
from engine.calls.ports import Caller, Offer, SpeechPlan
from engine.calls.state import InboundCall
from engine.ivr.config import parse

IVR = parse(
    {
        "entry": {"default": {"menu": "language"}, "dids": {"8000": {"menu": "main"}}},
        "menus": {
            "language": {
                "prompt": "sound:lang",
                "options": {
                    "1": {"menu": "main", "language": "zh"},
                    "2": {"menu": "main", "language": "en"},
                },
                "default": {"menu": "main"},
            },
            "main": {
                "prompt": ["sound:hello", "sound:vm-press"],
                "timeout": 4,
                "retries": 2,
                "options": {
                    "1": {"queue": "technical", "topic": "technical"},
                    "2": {"queue": "billing", "topic": "billing"},
                    "0": {"queue": "general"},
                },
                "default": {"queue": "general"},
            },
        },
    }
)
PLAN = SpeechPlan(("zh",), frozenset({("zh", "main"), ("zh", "language")}))
OFFER = Offer("c1", "1001", "Local/1001@sim-agents")


def in_menu(did="8000", caller=None, plan=PLAN):
    call = InboundCall("c1", IVR, ring_timeout=10, speech=plan)
    call.handle(e.CallerArrived("c1", "139", did), 100.0)
    return call, call.handle(e.Identified(caller), 100.1)


def connected(caller=None):
    call, _ = in_menu(caller=caller)
    call.handle(e.SpeechIntent("main", "technical"), 101.0)
    call.handle(e.AgentOffered(OFFER), 102.0)
    call.handle(e.AgentAnswered("c1-a1"), 103.0)
    return call, call.handle(e.Bridged(), 103.1)


def test_menu_is_heard_in_its_grammar_while_the_prompt_plays():
    _, acts = in_menu()
    assert acts[0] == a.Listen("caller", "c1", "zh", "main")
    assert isinstance(acts[1], a.Play)


def test_without_a_plan_or_a_grammar_the_menu_is_keys_only():
    _, acts = in_menu(plan=None)
    assert [type(x) for x in acts] == [a.Play]
    _, acts = in_menu(plan=SpeechPlan(("zh",), frozenset({("zh", "other")})))
    assert [type(x) for x in acts] == [a.Play]


def test_caller_language_without_a_model_is_keys_only():
    _, acts = in_menu(caller=Caller("k1", language="en"))
    assert not any(isinstance(x, a.Listen) for x in acts)


def test_first_partial_stops_the_prompt_and_gives_time_to_finish():
    call, acts = in_menu()
    playback = acts[1].playback_id
    out = call.handle(e.SpeechStarted("main"), 101.0)
    assert out == [a.CancelTimer("digit"), a.StopPlayback(playback), a.StartTimer("digit", 4.0)]
    assert call.record["barge_in"] == 1
    assert call.handle(e.PlaybackDone(playback), 101.1) == [], "a stopped prompt starts nothing"


def test_speech_after_the_prompt_restarts_the_digit_timer_only():
    call, acts = in_menu()
    call.handle(e.PlaybackDone(acts[1].playback_id), 102.0)
    out = call.handle(e.SpeechStarted("main"), 103.0)
    assert out == [a.CancelTimer("digit"), a.StartTimer("digit", 4.0)]


def test_intent_routes_exactly_like_the_key_of_its_option():
    spoken, _ = in_menu()
    by_voice = spoken.handle(e.SpeechIntent("main", "technical"), 101.0)
    keyed, _ = in_menu()
    by_key = keyed.handle(e.Digit("1"), 101.0)
    voice_request = by_voice[-1].request
    key_request = by_key[-1].request
    assert (voice_request.queue, voice_request.topic) == (key_request.queue, key_request.topic)
    assert a.StopListening("caller") in by_voice and a.StopListening("caller") in by_key
    assert spoken.record["ivr_path"] == ["did:8000", "main:say:technical"]
    assert spoken.status == "queued" and spoken.listening == {}


def test_intent_named_by_queue_reaches_that_option():
    call, _ = in_menu()
    out = call.handle(e.SpeechIntent("main", "general"), 101.0)
    assert out[-1].request.queue == "general"


def test_unknown_intent_replays_like_a_wrong_key():
    call, _ = in_menu()
    out = call.handle(e.SpeechIntent("main", "weather"), 101.0)
    assert isinstance(out[-1], a.Play) and out[-1].media[0] == "sound:please-try-again"
    assert call.record["ivr_path"][-1] == "main:say:weather?"


def test_two_no_matches_leave_the_menu_to_keys():
    call, _ = in_menu()
    first = call.handle(e.SpeechNoMatch("main"), 101.0)
    assert not any(isinstance(x, a.StopListening) for x in first), "still heard after one"
    assert isinstance(first[-1], a.Play)
    second = call.handle(e.SpeechNoMatch("main"), 105.0)
    assert a.StopListening("caller") in second and isinstance(second[-1], a.Play)
    assert call.handle(e.SpeechIntent("main", "technical"), 106.0) == [], "no longer heard"
    out = call.handle(e.Digit("2"), 107.0)
    assert out[-1].request.queue == "billing"
    assert call.record["ivr_path"] == [
        "did:8000",
        "main:no-match",
        "main:no-match",
        "main:keys-only",
        "main:2",
    ]


def test_stale_results_of_another_menu_are_ignored():
    call, _ = in_menu()
    assert call.handle(e.SpeechIntent("language", "zh"), 101.0) == []
    assert call.handle(e.SpeechNoMatch("language"), 101.0) == []


def test_profile_language_skips_the_language_menu():
    call, acts = in_menu(did="9999", caller=Caller("k1", language="zh"))
    assert acts[0] == a.Listen("caller", "c1", "zh", "main")
    assert call.record["ivr_path"] == ["entry", "language:profile:zh"]


def test_a_regional_profile_language_is_heard_and_routed_as_its_language():
    """Profiles say zh-CN; the model and the language menu say zh."""
    call, acts = in_menu(did="9999", caller=Caller("k1", language="zh-CN"))
    assert acts[0] == a.Listen("caller", "c1", "zh", "main")
    assert call.record["ivr_path"] == ["entry", "language:profile:zh-CN"]
    _, acts = in_menu(caller=Caller("k1", language="zh-Hans-CN"))
    assert acts[0] == a.Listen("caller", "c1", "zh", "main")
    _, acts = connected(caller=Caller("k1", language="zh-CN"))
    assert a.Listen("agent", "c1-a1", "zh", None) in acts


def test_language_menu_by_speech_then_main_menu_switches_grammar():
    call, acts = in_menu(did="9999")
    assert acts[0] == a.Listen("caller", "c1", "zh", "language")
    out = call.handle(e.SpeechIntent("language", "zh"), 101.0)
    assert a.Listen("caller", "c1", "zh", "main") in out
    assert call.record["ivr_path"] == ["entry", "language:say:zh"]


def test_choosing_a_language_without_a_model_stops_listening():
    call, _ = in_menu(did="9999")
    out = call.handle(e.Digit("2"), 101.0)
    assert a.StopListening("caller") in out and isinstance(out[-1], a.Play)
    assert out[-1].lang == "en"


def test_listener_failure_leaves_the_ivr_to_keys():
    call, _ = in_menu()
    assert call.handle(e.ListenFailed("caller", "AriError"), 100.2) == []
    out = call.handle(e.Digit("9"), 101.0)  # wrong key: the menu replays, not heard
    assert not any(isinstance(x, a.Listen) for x in out)
    assert call.record["speech_error"] == "AriError"


def test_connected_call_transcribes_both_legs_free_form():
    _, acts = connected()
    assert a.Listen("caller", "c1", "zh", None) in acts
    assert a.Listen("agent", "c1-a1", "zh", None) in acts
    assert isinstance(acts[-1], a.Persist)


def test_transcription_off_hears_nothing_once_connected():
    plan = SpeechPlan(("zh",), frozenset({("zh", "main")}), transcribe=False)
    call, _ = in_menu(plan=plan)
    call.handle(e.Digit("1"), 101.0)
    call.handle(e.AgentOffered(OFFER), 102.0)
    call.handle(e.AgentAnswered("c1-a1"), 103.0)
    acts = call.handle(e.Bridged(), 103.1)
    assert not any(isinstance(x, a.Listen) for x in acts)


def test_hangup_stops_listening_after_the_agent_is_free_then_finishes_transcript():
    call, _ = connected(caller=Caller("k7"))
    acts = call.handle(e.CallerLeft(), 200.0)
    names = [type(x).__name__ for x in acts]
    assert names.index("AgentReleased") < names.index("StopListening")
    assert acts[-3:] == [
        a.StopListening("caller"),
        a.StopListening("agent"),
        a.FinishTranscript("c1", "k7", 200.0),
    ]


def test_hangup_in_the_ivr_stops_listening_without_a_transcript():
    call, _ = in_menu()
    acts = call.handle(e.CallerLeft(), 101.0)
    assert acts[-1] == a.StopListening("caller")


def test_emotion_goes_live_and_a_sharp_rise_is_numbered_for_agent_and_customer():
    call, _ = connected(caller=Caller("k7"))
    calm = call.handle(e.EmotionObserved(0.1, "calm", 0.1, 150.0), 150.0)
    assert calm == [a.ShowEmotion("c1", 0.1, "calm", 0.1, 150.0, "1001", "k7", 0)]
    rise = call.handle(
        e.EmotionObserved(
            0.9, "angry", 0.42, 160.0, rise=True, previous=0.1, reasons=("louder (+3.0 sd)",)
        ),
        160.0,
    )
    assert rise[0].alert == 1 and rise[0].agent_id == "1001" and rise[0].customer_id == "k7"
    assert call.record["emotion"] == {"score": 0.9, "label": "angry", "rolling": 0.42}
    again = call.handle(e.EmotionObserved(0.95, "angry", 0.6, 190.0, rise=True), 190.0)
    assert again[0].alert == 2


def test_emotion_before_an_agent_has_no_agent_to_hint():
    call, _ = in_menu(caller=Caller("k7"))
    out = call.handle(e.EmotionObserved(0.8, "angry", 0.8, 101.0, rise=True), 101.0)
    assert out[0].agent_id is None and out[0].alert == 1


def test_a_call_bridged_elsewhere_is_heard_on_hear_talk_and_finished_on_talk_over():
    """An engine restart adopts a bridged call (``restore_connected``); the dialer's calls
    are bridged by the dialer: both are heard once told, and finished the same way."""
    call = InboundCall.restore_connected("c9", IVR, "139", "c9-a1", "1001", 500.0)
    call.speech = PLAN
    assert call.handle(e.HearTalk(), 500.0) == [
        a.Listen("caller", "c9", "zh", None),
        a.Listen("agent", "c9-a1", "zh", None),
    ]
    assert call.handle(e.HearTalk(), 501.0) == []  # already heard
    assert call.handle(e.TalkOver(), 560.0) == [
        a.StopListening("caller"),
        a.StopListening("agent"),
        a.FinishTranscript("c9", None, 560.0),
    ]
    english = InboundCall.restore_connected("c7", IVR, "139", "c7-a1", "1001", 500.0)
    english.speech, english.record["language"] = PLAN, "en-GB"
    assert english.handle(e.HearTalk(), 500.0) == [], "no model speaks the customer's language"
    quiet = InboundCall.restore_connected("c8", IVR, "139", "c8-a1", "1001", 500.0)
    assert quiet.handle(e.HearTalk(), 500.0) == [], "no speech plan: nothing heard"
