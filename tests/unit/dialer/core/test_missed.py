"""What a line went through while the engine could not hear Asterisk (``missed.py``):
decided from the channel list the way Asterisk reports it (``GET /channels``)."""

import pytest

from engine.dialer.core.missed import missed, stasis_args

APP = "engine"


def chan(state="Up", context="outbound-amd", app_name="", app_data=""):
    return {
        "id": "l1",
        "state": state,
        "dialplan": {
            "context": context,
            "exten": "s",
            "priority": 1,
            "app_name": app_name,
            "app_data": app_data,
        },
    }


def test_stasis_arguments_are_read_only_for_the_engines_app():
    assert stasis_args(
        chan(app_name="Stasis", app_data="engine,outbound,HUMAN,HUMAN-811-800"), APP
    ) == ["outbound", "HUMAN", "HUMAN-811-800"]
    assert stasis_args(chan(app_name="Stasis", app_data="other,outbound,HUMAN"), APP) == []
    assert stasis_args(chan(app_name="AMD"), APP) == []
    assert stasis_args({"id": "x"}, APP) == []


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("ringing", "gone"),  # rang out, busy...: told apart by nothing, a no answer
        ("detecting", "verdict-lost"),  # the customer had answered: counted abandoned
        ("seeking", "gone"),
        ("talking", "gone"),
        ("closing", "gone"),
    ],
)
def test_a_line_asterisk_no_longer_has_ended_unseen(state, expected):
    assert missed(state, None, None, False, APP) == expected


def test_a_person_in_the_identification_fallback_is_a_lost_verdict():
    playing = chan(app_name="Playback", app_data="hello&please-try-call-later")
    assert missed("detecting", playing, None, False, APP) == "verdict-lost"
    assert missed("detecting", chan(app_name="AMD"), None, False, APP) is None  # still AMD


def test_stasis_entries_whose_events_were_lost_are_replayed():
    answered = chan(context="", app_name="Stasis", app_data="engine,dialer,3")
    assert missed("ringing", answered, None, False, APP) == "answered"
    assert missed("ringing", chan(state="Ringing", context=""), None, False, APP) is None
    verdict = chan(app_name="Stasis", app_data="engine,outbound,HUMAN,HUMAN-811-800")
    assert missed("detecting", verdict, None, False, APP) == "verdict"
    agent = chan(context="", app_name="Stasis", app_data="engine,dialer-agent,l1")
    assert missed("connecting", chan(app_name="Stasis"), agent, True, APP) == "agent-answered"
    assert missed("talking", chan(app_name="Stasis"), agent, True, APP) is None


def test_an_agent_leg_gone_unseen_and_a_message_that_may_be_over():
    line = chan(app_name="Stasis", app_data="engine,outbound,HUMAN,x")
    assert missed("connecting", line, None, True, APP) == "agent-gone"
    assert missed("talking", line, None, True, APP) == "agent-gone"
    assert missed("seeking", line, None, False, APP) is None
    assert missed("message", line, None, False, APP) == "message-over?"
