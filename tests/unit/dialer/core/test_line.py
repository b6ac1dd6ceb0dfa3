"""A dialer line's life, driven with plain events (no Asterisk, no clock), read back as
the actions the campaign runner carries out."""

import pytest

from engine.calls.ports import Offer
from engine.dialer.core import line_actions as a
from engine.dialer.core import line_events as e
from engine.dialer.core.line import Line

OFFER = Offer("L1", "1001", "Local/1001@sim-agents")
DIALED = 100.0


def details(outcome_agent=None, ring=0.0, amd=None, cause=None, **more):
    return {
        "ring_seconds": ring,
        "channel": "L1",
        "agent_id": outcome_agent,
        "amd": amd,
        "amd_cause": cause,
        **more,
    }


def new_line(**kw):
    return Line("L1", 7, {"id": 1, "number": "555"}, DIALED, **kw)


def drive(line, steps):
    """Hand ``line`` each (time, event); the actions of the last one."""
    acts = []
    for now, event in steps:
        acts = line.handle(event, now)
    return acts


ANSWER = [(110.0, e.Answered())]
PERSON = [*ANSWER, (112.0, e.Verdict("HUMAN", "HUMAN-811-800"))]
OFFERED = [*PERSON, (112.5, e.Offered(OFFER))]
AGENT_UP = [*OFFERED, (113.0, e.AgentAnswered("L1-agent"))]
TALKING = [*AGENT_UP, (113.0, e.Bridged("L1-agent"))]
ANSWERED = a.RecordAttempt(
    7, "answered", False, details("1001", 10.0, "HUMAN", "HUMAN-811-800", agent_after=1.0)
)
MACHINE = [*ANSWER, (114.0, e.Verdict("MACHINE", "INITIALSILENCE-2500-2500"))]

# (case, line options, events, actions of the last event, state afterwards)
LIFE = [
    (
        "no answer",
        {},
        [(125.0, e.DialStatus("NOANSWER"))],
        [
            a.PacerDial(25.0, "no-answer", None),
            a.RecordAttempt(7, "no-answer", False, details(ring=25.0)),
            a.Closed("L1"),
        ],
        "ended",
    ),
    (
        "busy",
        {},
        [(103.0, e.DialStatus("BUSY"))],
        [
            a.PacerDial(3.0, "busy", None),
            a.RecordAttempt(7, "busy", False, details(ring=3.0)),
            a.Closed("L1"),
        ],
        "ended",
    ),
    (
        "congestion counts as no answer for the pacer",
        {},
        [(101.0, e.DialStatus("CONGESTION"))],
        [
            a.PacerDial(1.0, "no-answer", None),
            a.RecordAttempt(7, "failed", False, details(ring=1.0)),
            a.Closed("L1"),
        ],
        "ended",
    ),
    (
        "hung up while ringing, cause busy",
        {},
        [(104.0, e.CustomerGone(17))],
        [
            a.PacerDial(4.0, "busy", None),
            a.RecordAttempt(7, "busy", False, details(ring=4.0)),
            a.Closed("L1"),
        ],
        "ended",
    ),
    (
        "originate refused",
        {},
        [(100.0, e.OriginateFailed())],
        [
            a.PacerDial(0.0, "no-answer", None),
            a.RecordAttempt(7, "failed", False, details()),
            a.Closed("L1"),
        ],
        "ended",
    ),
    ("Dial ANSWER only notes the time", {}, [(109.0, e.DialStatus("ANSWER"))], [], "ringing"),
    ("answered: AMD listens", {}, ANSWER, [a.ContinueToAmd("L1")], "detecting"),
    ("AMD unreachable", {}, [*ANSWER, (110.0, e.AmdUnreachable())], [a.HangUp("L1")], "detecting"),
    (
        "a person: held for an agent",
        {},
        PERSON,
        [
            a.PacerDial(10.0, "live", 2.0),
            a.RecordAnswer(7, 110.0, "HUMAN", "HUMAN-811-800", True),
            a.GuardLiveAnswer(None, False),
            a.Enqueue("L1"),
        ],
        "seeking",
    ),
    (
        "not sure counts as a person",
        {},
        [*ANSWER, (112.0, e.Verdict("NOTSURE", "TOOLONG"))],
        [
            a.PacerDial(10.0, "live", 2.0),
            a.RecordAnswer(7, 110.0, "NOTSURE", "TOOLONG", True),
            a.GuardLiveAnswer(None, False),
            a.Enqueue("L1"),
        ],
        "seeking",
    ),
    (
        "a machine gets the message",
        {"leave_message": True},
        MACHINE,
        [
            a.PacerDial(10.0, "machine", 4.0),
            a.RecordAnswer(7, 110.0, "MACHINE", "INITIALSILENCE-2500-2500", False),
            a.Play("L1", "L1-play", "machine"),
        ],
        "message",
    ),
    (
        "a machine, no message: hang up, retry later",
        {},
        MACHINE,
        [
            a.PacerDial(10.0, "machine", 4.0),
            a.RecordAnswer(7, 110.0, "MACHINE", "INITIALSILENCE-2500-2500", False),
            a.HangUp("L1"),
        ],
        "closing",
    ),
    (
        "the message played: hang up",
        {"leave_message": True},
        [*MACHINE, (130.0, e.PlaybackFinished())],
        [a.HangUp("L1")],
        "message",
    ),
    (
        "the machine's line ends",
        {"leave_message": True},
        [*MACHINE, (131.0, e.CustomerGone(16))],
        [
            a.RecordAttempt(
                7,
                "machine",
                True,
                details(
                    None, 10.0, "MACHINE", "INITIALSILENCE-2500-2500", why="customer-left-message"
                ),
            ),
            a.Closed("L1"),
        ],
        "ended",
    ),
    (
        "agent offered: the agent's phone rings",
        {},
        OFFERED,
        [
            a.GuardAgentFree("1001"),
            a.CallAgent("Local/1001@sim-agents", "L1-agent", "L1", "555", "1001"),
        ],
        "connecting",
    ),
    (
        "agent accepted: bridge both legs",
        {},
        AGENT_UP,
        [a.BridgeLegs("L1-bridge", "L1", "L1-agent")],
        "connecting",
    ),
    (
        "bridged: connected, recorded, the call opens",
        {},
        TALKING,
        [a.CallConnected("L1", "1001"), ANSWERED, a.OpenCall("L1-agent")],
        "talking",
    ),
    (
        "bridge failed: the agent leg is hung up",
        {},
        [*AGENT_UP, (113.0, e.BridgeFailed("L1-agent"))],
        [a.HangUp("L1-agent")],
        "connecting",
    ),
    (
        "a stranger's agent leg is hung up",
        {},
        [*OFFERED, (113.0, e.AgentAnswered("x-agent"))],
        [a.HangUp("x-agent")],
        "connecting",
    ),
    (
        "agent rejected (busy)",
        {},
        [*OFFERED, (114.0, e.AgentDialStatus("BUSY"))],
        [
            a.AgentFailed("L1", "1001", "busy"),
            a.CancelRoute("L1"),
            a.GuardLost(),
            a.Play("L1", "L1-play", "identification"),
        ],
        "closing",
    ),
    (
        "agent's phone timed out",
        {},
        [*OFFERED, (127.0, e.AgentDialStatus("NOANSWER"))],
        [
            a.AgentFailed("L1", "1001", "no-answer"),
            a.CancelRoute("L1"),
            a.GuardLost(),
            a.Play("L1", "L1-play", "identification"),
        ],
        "closing",
    ),
    (
        "agent leg gone while ringing",
        {},
        [*OFFERED, (120.0, e.AgentGone())],
        [
            a.AgentFailed("L1", "1001", "no-answer"),
            a.CancelRoute("L1"),
            a.GuardLost(),
            a.Play("L1", "L1-play", "identification"),
        ],
        "closing",
    ),
    (
        "agent leg could not be originated",
        {},
        [*OFFERED, (112.5, e.AgentUnreachable("originate-failed"))],
        [
            a.AgentFailed("L1", "1001", "originate-failed"),
            a.CancelRoute("L1"),
            a.GuardLost(),
            a.Play("L1", "L1-play", "identification"),
        ],
        "closing",
    ),
    (
        "no agent within 2 s: abandoned",
        {},
        [*PERSON, (114.0, e.NoAgent())],
        [a.CancelRoute("L1"), a.Play("L1", "L1-play", "identification")],
        "closing",
    ),
    (
        "the abandoned line ends",
        {},
        [*PERSON, (114.0, e.NoAgent()), (120.0, e.CustomerGone())],
        [
            a.RecordAttempt(
                7,
                "abandoned",
                False,
                details(None, 10.0, "HUMAN", "HUMAN-811-800", why="customer-left-closing"),
            ),
            a.Closed("L1"),
        ],
        "ended",
    ),
    (
        "the person hangs up waiting",
        {},
        [*PERSON, (113.0, e.CustomerGone(16))],
        [
            a.GuardHangup(),
            a.CancelRoute("L1"),
            a.RecordAttempt(
                7,
                "abandoned",
                False,
                details(None, 10.0, "HUMAN", "HUMAN-811-800", why="customer-left-seeking"),
            ),
            a.Closed("L1"),
        ],
        "ended",
    ),
    (
        "the person hangs up as the agent's phone rings",
        {},
        [*OFFERED, (113.0, e.CustomerGone(16))],
        [
            a.HangUp("L1-agent"),
            a.CancelRoute("L1"),
            a.RecordAttempt(
                7,
                "abandoned",
                False,
                details(None, 10.0, "HUMAN", "HUMAN-811-800", why="customer-left-connecting"),
            ),
            a.Closed("L1"),
        ],
        "ended",
    ),
    (
        "the customer hangs up the talk",
        {},
        [*TALKING, (173.0, e.CustomerGone(16))],
        [
            a.HangUp("L1-agent"),
            a.DestroyBridge("L1-bridge"),
            a.ReleaseAgent("L1", "1001"),
            a.PacerTalk(60.0),
            a.TalkEnded(7, 60.0),
            a.Closed("L1"),
        ],
        "ended",
    ),
    (
        "the agent hangs up the talk",
        {},
        [*TALKING, (173.0, e.AgentGone())],
        [a.HangUp("L1")],
        "talking",
    ),
    (
        "an offer for a line no longer waiting",
        {},
        [*PERSON, (114.0, e.NoAgent()), (114.5, e.Offered(OFFER))],
        [a.ReleaseAgent("L1", "1001")],
        "closing",
    ),
    (
        "an ended line ignores everything",
        {},
        [(125.0, e.DialStatus("NOANSWER")), (126.0, e.Answered())],
        [],
        "ended",
    ),
    ("a second answer is ignored", {}, [*PERSON, (113.0, e.Answered())], [], "seeking"),
]


@pytest.mark.parametrize(
    ("options", "steps", "actions", "state"), [c[1:] for c in LIFE], ids=[c[0] for c in LIFE]
)
def test_a_lines_life(options, steps, actions, state):
    line = new_line(**options)
    assert drive(line, steps) == actions
    assert line.state == state


# (case, events, actions of the last event, state) for a preview line: agent 1002 reserved
PREVIEW = [
    (
        "a person: the reserved agent, no pacer",
        [*ANSWER, (112.0, e.Verdict("HUMAN", "H"))],
        [a.RecordAnswer(7, 110.0, "HUMAN", "H", True), a.GuardLiveAnswer("1002", False)],
        "detecting",
    ),
    (
        "the guard bridges the reserved agent",
        [*ANSWER, (112.0, e.Verdict("HUMAN", "H")), (112.0, e.Connect(Offer("L1", "1002", "ep")))],
        [a.CallAgent("ep", "L1-agent", "L1", "555", "1002")],
        "connecting",
    ),
    (
        "a machine frees the reserved agent",
        MACHINE,
        [
            a.RecordAnswer(7, 110.0, "MACHINE", "INITIALSILENCE-2500-2500", False),
            a.ReleaseAgent("L1", "1002"),
            a.HangUp("L1"),
        ],
        "closing",
    ),
    (
        "no answer frees the reserved agent",
        [(125.0, e.DialStatus("NOANSWER"))],
        [
            a.ReleaseAgent("L1", "1002"),
            a.RecordAttempt(7, "no-answer", False, details(ring=25.0)),
            a.Closed("L1"),
        ],
        "ended",
    ),
    (
        "no agent: abandoned without routing",
        [*ANSWER, (112.0, e.Verdict("HUMAN", "H")), (114.0, e.NoAgent())],
        [a.Play("L1", "L1-play", "identification")],
        "closing",
    ),
]


@pytest.mark.parametrize(
    ("steps", "actions", "state"), [c[1:] for c in PREVIEW], ids=[c[0] for c in PREVIEW]
)
def test_a_preview_line(steps, actions, state):
    line = new_line(reserved_agent="1002")
    assert drive(line, steps) == actions
    assert line.state == state


# (case, events, actions of the last event, state): the pacer hangs a ringing line up
HUNG_UP = [
    (
        "it ends unanswered: no answer, nothing more for the pacer",
        [(120.0, e.HangUpRinging()), (120.1, e.CustomerGone(16))],
        [
            a.RecordAttempt(7, "no-answer", False, details(ring=20.1, why="hung-up-after-ringing")),
            a.Closed("L1"),
        ],
        "ended",
    ),
    (
        "answered as it was hung up: cut off, abandoned",
        [(120.0, e.HangUpRinging()), (120.1, e.Answered())],
        [a.GuardCutOff(), a.Warn("dialer.answered_as_hung_up"), a.HangUp("L1")],
        "closing",
    ),
    (
        "Asterisk saw the answer first",
        [(120.0, e.HangUpRinging()), (120.0, e.DialStatus("ANSWER")), (120.2, e.CustomerGone())],
        [
            a.GuardCutOff(),
            a.Warn("dialer.answered_as_hung_up"),
            a.HangUp("L1"),
            a.RecordAttempt(7, "abandoned", False, details(ring=20.0, why="answered-as-hung-up")),
            a.Closed("L1"),
        ],
        "ended",
    ),
    (
        "the hang-up failed: it rings on, AMD runs on answer",
        [(120.0, e.HangUpRinging()), (120.0, e.HangUpRingingFailed()), (121.0, e.Answered())],
        [a.ContinueToAmd("L1")],
        "detecting",
    ),
]


@pytest.mark.parametrize(
    ("steps", "actions", "state"), [c[1:] for c in HUNG_UP], ids=[c[0] for c in HUNG_UP]
)
def test_the_pacer_hangs_up_a_ringing_line(steps, actions, state):
    line = new_line()
    assert drive(line, steps) == actions
    assert line.state == state


def test_events_missed_while_disconnected():
    """A verdict learnt late is counted abandoned by the guard (``late``), and the
    attempt says so; a verdict lost with the call is an abandoned live answer."""
    line = new_line()
    drive(line, ANSWER)
    assert line.handle(e.Verdict("HUMAN", "H", late=True), 130.0)[-2:] == [
        a.GuardLiveAnswer(None, True),
        a.Enqueue("L1"),
    ]
    drive(line, [(130.5, e.Offered(OFFER)), (131.0, e.AgentAnswered("L1-agent"))])
    record = line.handle(e.Bridged("L1-agent"), 131.0)[1]
    assert isinstance(record, a.RecordAttempt) and record.details["late_verdict"] is True

    lost = new_line()
    drive(lost, ANSWER)
    assert lost.handle(e.VerdictLost(), 140.0) == [
        a.Warn("dialer.verdict_lost"),
        a.GuardCutOff(),
        a.RecordAnswer(7, 110.0, "", "", True),
        a.RecordAttempt(7, "abandoned", False, details(ring=10.0, why="verdict-lost")),
        a.Closed("L1"),
    ]
    assert lost.live and lost.outcome == "abandoned" and lost.state == "ended"


def test_an_attempt_is_recorded_once():
    line = new_line()
    drive(line, TALKING)
    acts = line.handle(e.CustomerGone(16), 150.0)
    assert not [x for x in acts if isinstance(x, a.RecordAttempt)], "answered already"
