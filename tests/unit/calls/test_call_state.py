"""The inbound call lifecycle, driven with plain events (no ARI, no clock)."""

from engine.calls import actions as a
from engine.calls import events as e
from engine.calls.ports import Caller, Offer
from engine.calls.state import InboundCall
from engine.ivr.config import parse

IVR = parse(
    {
        "entry": {"default": {"menu": "main"}, "dids": {"8100": {"queue": "general"}}},
        "menus": {
            "main": {
                "prompt": ["sound:hello"],
                "timeout": 4,
                "options": {"1": {"queue": "technical", "topic": "technical"}},
                "default": {"queue": "general"},
            }
        },
    }
)
OFFER = Offer("c1", "1001", "Local/1001@sim-agents")


def kinds(actions):
    return [type(x).__name__ for x in actions]


def arrived(did="8000"):
    call = InboundCall("c1", IVR, ring_timeout=10)
    acts = call.handle(e.CallerArrived("c1", "13800000000", did), 100.0)
    return call, acts


def to_queue(did="8100", caller=None):
    call, _ = arrived(did)
    acts = call.handle(e.Identified(caller), 100.1)
    return call, acts


def test_arrival_answers_and_identifies():
    call, acts = arrived()
    assert acts == [a.Answer("c1"), a.Identify("13800000000")]
    assert call.status == "identifying"


def test_identified_caller_hears_menu_and_key_barges_in():
    call, _ = arrived()
    acts = call.handle(e.Identified(Caller("cust-1", language="zh")), 100.1)
    assert isinstance(acts[0], a.Play) and acts[0].lang == "zh"
    playback = acts[0].playback_id
    acts = call.handle(e.Digit("1"), 101.0)
    assert acts[:2] == [a.CancelTimer("digit"), a.StopPlayback(playback)]
    assert acts[-2] == a.Hold("tenure-c1", "c1")
    enqueue = acts[-1]
    assert isinstance(enqueue, a.Enqueue)
    assert enqueue.request.queue == "technical" and enqueue.request.topic == "technical"
    assert enqueue.request.caller == Caller("cust-1", language="zh")
    assert call.record["ivr_path"] == ["entry", "main:1"]


def test_digit_timer_starts_only_after_prompt_ends():
    call, _ = arrived()
    play = call.handle(e.Identified(None), 100.1)[0]
    assert call.handle(e.PlaybackDone("other"), 102.0) == []
    assert call.handle(e.PlaybackDone(play.playback_id), 102.0) == [a.StartTimer("digit", 4.0)]


def test_offer_dials_agent_then_answer_bridges_both():
    call, _ = to_queue()
    acts = call.handle(e.AgentOffered(OFFER), 105.0)
    dial = acts[0]
    assert isinstance(dial, a.DialAgent) and dial.channel_id == "c1-a1"
    assert dial.caller_number == "13800000000"
    assert dial.originator == "c1", "the agent's leg is originated from the caller's channel"
    acts = call.handle(e.AgentAnswered("c1-a1"), 107.0)
    assert acts == [a.CancelTimer("ring"), a.ConnectAgent("tenure-c1", "c1-a1")]
    acts = call.handle(e.Bridged(), 107.01)
    assert kinds(acts) == ["AgentConnected", "Persist"]
    assert acts[1].record["connected_at"] == 107.01 and call.status == "connected"


def test_busy_agent_sends_call_back_to_queue_and_tells_router():
    call, _ = to_queue()
    call.handle(e.AgentOffered(OFFER), 105.0)
    acts = call.handle(e.AgentLegFailed("c1-a1", "busy"), 106.0)
    assert a.AgentFailed("c1", "1001", "busy") in acts
    assert call.status == "queued"
    acts = call.handle(e.AgentOffered(Offer("c1", "1002", "Local/1002@sim-agents")), 107.0)
    assert acts[0].channel_id == "c1-a2"


def test_ring_timeout_hangs_up_the_agent_leg():
    call, _ = to_queue()
    call.handle(e.AgentOffered(OFFER), 105.0)
    acts = call.handle(e.TimerFired("ring"), 120.0)
    assert a.Hangup("c1-a1", "normal") in acts
    assert a.AgentFailed("c1", "1001", "no-answer") in acts


def test_late_events_from_a_failed_agent_leg_are_ignored():
    call, _ = to_queue()
    call.handle(e.AgentOffered(OFFER), 105.0)
    call.handle(e.AgentLegFailed("c1-a1", "busy"), 106.0)
    assert call.handle(e.AgentAnswered("c1-a1"), 106.5) == []


def test_agent_hangup_ends_call_and_releases_agent():
    call, _ = to_queue()
    call.handle(e.AgentOffered(OFFER), 105.0)
    call.handle(e.AgentAnswered("c1-a1"), 107.0)
    call.handle(e.Bridged(), 107.0)
    acts = call.handle(e.AgentLeft("c1-a1"), 200.0)
    assert a.Hangup("c1") in acts and a.DestroyBridge("tenure-c1") in acts
    assert a.AgentReleased("c1", "1001") in acts
    record = acts[-1].record
    assert record["status"] == "completed" and record["hangup_by"] == "agent"
    assert call.handle(e.CallerLeft(), 201.0) == []


def test_caller_hangup_while_ringing_abandons_and_cleans_up():
    call, _ = to_queue()
    call.handle(e.AgentOffered(OFFER), 105.0)
    acts = call.handle(e.CallerLeft(), 106.0)
    assert a.Hangup("c1-a1") in acts and a.DestroyBridge("tenure-c1") in acts
    assert a.Dequeue("c1") in acts
    assert acts[-1].record["status"] == "abandoned"


def test_offer_after_hangup_is_released_at_once():
    call, _ = to_queue()
    call.handle(e.CallerLeft(), 106.0)
    assert call.handle(e.AgentOffered(OFFER), 106.1) == [a.AgentReleased("c1", "1001")]


def test_caller_hangup_in_ivr_is_recorded_as_such():
    call, _ = arrived()
    call.handle(e.Identified(None), 100.1)
    acts = call.handle(e.CallerLeft(), 103.0)
    assert kinds(acts) == ["CancelTimer", "CancelTimer", "Persist"]
    assert acts[-1].record["status"] == "ended-in-ivr"


def test_restored_call_ends_normally():
    call = InboundCall.restore_connected("c9", IVR, "139", "c9-a1", "1003", 50.0)
    acts = call.handle(e.CallerLeft(), 60.0)
    assert a.Hangup("c9-a1") in acts and a.AgentReleased("c9", "1003") in acts
