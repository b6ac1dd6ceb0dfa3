"""A campaign's decisions, pure: the pacer's view, what to dial, which contacts, and how
a line the event stream missed is judged."""

from datetime import UTC, datetime

import pytest

from engine.dialer.core import campaign as c
from engine.dialer.core import line_events as e
from engine.dialer.core.compliance import Policy
from engine.dialer.core.line import Line
from engine.dialer.core.pacing import Allowance, Predictive, Progressive, Snapshot

NOW = datetime(2026, 7, 15, 16, 0, tzinfo=UTC).timestamp()  # 12:00 in New York
APP = "engine"


def line(name, state="ringing", dialed=NOW - 10, **kw):
    ln = Line(name, 1, {"id": 1, "number": "555"}, dialed, **kw)
    ln.state = state
    return ln


def test_the_pacer_sees_its_own_ringing_and_detecting_lines_only():
    lines = [
        line("r"),
        line("d", "detecting", answered_at=NOW - 2),
        line("t", "talking"),
        line("p", reserved_agent="1002"),
        line("h", hung_up_at=NOW - 1),
    ]
    assert [ln.id for ln in c.ringing_pool(lines)] == ["r"]
    assert [ln.id for ln in c.pacer_lines(lines)] == ["r", "d"]
    snap = c.snapshot(NOW, 2, [30.0], [5.0], c.pacer_lines(lines), 1)
    assert snap == Snapshot(NOW, 2, (30.0,), (5.0,), (10.0,), (2.0,), 1)


@pytest.mark.parametrize(
    ("free", "max_lines", "in_flight", "wanted"),
    [
        (3, 50, 0, 3),  # progressive: one line per free agent
        (3, 50, 49, 1),  # the engine's line limit over every campaign
        (3, 50, 50, 0),
        (0, 50, 0, 0),
    ],
)
def test_dials_wanted(free, max_lines, in_flight, wanted):
    snap = Snapshot(NOW, free)
    assert c.dials_wanted(Progressive(), snap, Allowance(), max_lines, in_flight) == wanted


def test_only_the_predictive_pacer_hangs_ringing_lines_up():
    ringing = [line("r", dialed=NOW - 40)]
    snap = c.snapshot(NOW, 0, [], [], ringing, 0)
    assert c.to_hang_up(Progressive(), snap, Allowance(), ringing) == []
    pacer = Predictive(cancel_after=15.0)
    assert all(ln in ringing for ln in c.to_hang_up(pacer, snap, Allowance(), ringing))


def row(cid, number, **kw):
    return {
        "id": cid,
        "number": number,
        "timezone": "America/New_York",
        "opted_out": 0,
        "dnc": 0,
        "history": [],
        "priority": 0,
        "due_at": None,
        **kw,
    }


def test_choose_the_best_callable_contacts_and_pass_the_others_over():
    rows = [
        row(1, "111", dnc=1),
        row(2, "222", priority=5),
        row(3, "333", opted_out=1),
        row(4, "444", timezone="Asia/Tokyo"),
        row(5, "555"),
    ]
    choice = c.choose(rows, 2, NOW, "UTC", Policy(), 25.0)
    assert [(r["id"], r["ring_timeout"]) for r in choice.dial] == [(2, 25.0), (5, 25.0)]
    assert choice.reasons == ["dnc", "opted-out", "outside-calling-window"]
    (dnc, opted, tokyo) = choice.updates
    assert dnc == (1, "blocked", None, "dnc") and opted == (3, "blocked", None, "opted-out")
    assert tokyo[:2] == (4, "pending") and tokyo[2] > NOW and tokyo[3] is None


def test_preview_waives_the_72h_rest_but_not_the_window():
    rested = row(1, "111", history=[(NOW - 3600, "abandoned")])
    decision, _ = c.preview_check(rested, NOW, "UTC", Policy())
    assert decision.allowed
    decision, (status, next_at) = c.preview_check(
        row(2, "222", timezone="Asia/Tokyo"), NOW, "UTC", Policy()
    )
    assert not decision.allowed and status == "pending" and next_at > NOW


def stasis(*args, state="Up"):
    return {"state": state, "dialplan": {"app_name": "Stasis", "app_data": ",".join([APP, *args])}}


AMD_FALLBACK = {"state": "Up", "dialplan": {"context": "outbound-amd", "app_name": "Playback"}}

# (case, line state, has agent leg, customer channel, agent channel, missed, event)
JUDGED = [
    ("ringing line gone", "ringing", False, None, None, "gone", e.CustomerGone(0)),
    ("answered unseen", "ringing", False, stasis("dialer", "1"), None, "answered", e.Answered()),
    ("still ringing", "ringing", False, {"state": "Ring"}, None, None, None),
    (
        "gone during AMD: the verdict is lost",
        "detecting",
        False,
        None,
        None,
        "verdict-lost",
        e.VerdictLost(),
    ),
    (
        "failed Stasis after AMD",
        "detecting",
        False,
        AMD_FALLBACK,
        None,
        "verdict-lost",
        e.VerdictLost(),
    ),
    (
        "verdict waiting in Stasis",
        "detecting",
        False,
        stasis("outbound", "HUMAN", "HUMAN-811-800"),
        None,
        "verdict",
        e.Verdict("HUMAN", "HUMAN-811-800", late=True),
    ),
    (
        "agent leg gone",
        "connecting",
        True,
        stasis("outbound", "HUMAN", "H"),
        None,
        "agent-gone",
        e.AgentGone(),
    ),
    (
        "agent answered unseen",
        "connecting",
        True,
        stasis("outbound", "HUMAN", "H"),
        stasis("dialer-agent", "L1"),
        "agent-answered",
        e.AgentAnswered("L1-agent"),
    ),
    ("talking on", "talking", True, {"state": "Up"}, {"state": "Up"}, None, None),
    ("a message may be over", "message", False, {"state": "Up"}, None, "message-over?", None),
]


@pytest.mark.parametrize(
    ("state", "leg", "chan", "agent", "what", "event"),
    [j[1:] for j in JUDGED],
    ids=[j[0] for j in JUDGED],
)
def test_a_missed_line_is_judged(state, leg, chan, agent, what, event):
    ln = line("L1", state, agent_channel="L1-agent" if leg else None)
    assert c.judge(ln, chan, agent, APP) == (what, event)


def test_only_lines_known_before_the_channel_list_are_judged():
    old, new, leg_since = line("old"), line("new"), line("leg", agent_channel="leg-agent")
    known = {"old": None, "leg": None}
    assert c.to_judge([old, new, leg_since], known) == [old]


@pytest.mark.parametrize(
    ("owned", "adopted", "up", "decision"),
    [
        (True, False, {"c", "c-agent"}, "skip"),  # a line of this engine
        (False, True, {"c", "c-agent"}, "skip"),  # adopted already
        (False, False, {"c", "c-agent"}, "adopt"),  # both legs up: the talk goes on
        (False, False, {"c"}, "close"),  # a leg ended while no engine watched
        (False, False, set(), "close"),
    ],
)
def test_a_talk_left_by_an_earlier_engine(owned, adopted, up, decision):
    assert c.adoption("c", "c-agent", owned, adopted, up) == decision
