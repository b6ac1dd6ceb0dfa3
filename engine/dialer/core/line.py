"""One outbound line (a dial and, if it connects, the call), as a pure state object.

``Line.handle(event, now)`` updates the line and returns the actions the campaign runner
must carry out, in order (``line_actions``). No I/O, no clock: tests drive it with plain
events (``line_events``) and read the actions back.

A line's life:  ringing -> detecting (answered, AMD listening) -> then
  - a person: seeking (waiting for an agent, <= 2 s) -> connecting (agent's phone
    rings) -> talking -> ended;  or closing (identification message, abandoned);
  - a machine: message (the campaign's message) or straight to ended (retry later);
  - no answer, busy, congestion: ended.
A preview line has its agent reserved before the dial: a person goes straight to
connecting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

from engine.calls.ports import Offer
from engine.dialer.core import line_actions as a
from engine.dialer.core import line_events as e
from engine.dialer.core.compliance import AttemptOutcome
from engine.dialer.core.outcomes import amd_kind, dial_outcome, pacer_outcome

LineState = Literal[
    "ringing", "detecting", "seeking", "connecting", "talking", "message", "closing", "ended"
]
DIAL_FAILED = ("BUSY", "NOANSWER", "CANCEL", "CONGESTION", "CHANUNAVAIL")
AGENT_FAILURES = {"BUSY": "busy", "NOANSWER": "no-answer", "CANCEL": "no-answer"}
Actions = list[a.LineAction]


@dataclass
class Line:
    id: str  # the customer channel's ID
    attempt_id: int
    contact: dict[str, Any]
    dialed_at: float
    reserved_agent: str | None = None  # preview: agent reserved before the dial
    leave_message: bool = False  # a machine gets the campaign's message
    state: LineState = "ringing"
    answered_at: float | None = None
    amd: tuple[str, str] = ("", "")
    verdict_at: float | None = None  # when AMD said person or machine
    live: bool = False
    offer: Offer | None = None
    agent_channel: str | None = None
    bridged_at: float | None = None
    outcome: AttemptOutcome | None = None  # decided, recorded when the line ends
    message_left: bool = False
    recorded: bool = False
    hung_up_at: float | None = None  # the pacer hung it up while it rang (>= 15 s)
    late: bool = False  # AMD's verdict was learnt late (socket down)

    @property
    def number(self) -> str:
        return str(self.contact["number"])

    @property
    def agent_id(self) -> str | None:
        return self.offer.agent_id if self.offer else self.reserved_agent

    @property
    def bridge_id(self) -> str:
        return f"{self.id}-bridge"

    @property
    def playback_id(self) -> str:
        return f"{self.id}-play"

    def ring_seconds(self, now: float) -> float:
        return max(0.0, (self.answered_at or now) - self.dialed_at)

    # -- the one entry point ------------------------------------------------------
    def handle(self, event: e.LineEvent, now: float) -> Actions:
        if self.state == "ended":
            return []
        handler = _HANDLERS.get(type(event))
        return handler(self, event, now) if handler else []

    # -- the customer's side ---------------------------------------------------------
    def _dial_status(self, ev: e.DialStatus, now: float) -> Actions:
        if ev.status == "ANSWER":
            self.answered_at = self.answered_at or now
        elif ev.status in DIAL_FAILED and self.state == "ringing":
            return self._unanswered(dial_outcome(ev.status), now)
        return []

    def _originate_failed(self, ev: e.OriginateFailed, now: float) -> Actions:
        return self._unanswered("failed", now)

    def _answered(self, ev: e.Answered, now: float) -> Actions:
        self.answered_at = self.answered_at or now
        if self.state != "ringing":
            return []
        if self.hung_up_at is not None:  # answered as the pacer hung it up
            return self._cut_off()
        self.state = "detecting"
        return [a.ContinueToAmd(self.id)]

    def _amd_unreachable(self, ev: e.AmdUnreachable, now: float) -> Actions:
        self.outcome = "failed"
        return [a.HangUp(self.id)]

    def _verdict(self, ev: e.Verdict, now: float) -> Actions:
        if self.state != "detecting":
            return []
        kind = amd_kind(ev.status)
        self.live, self.amd, self.verdict_at = kind == "live", (ev.status, ev.cause), now
        self.late = ev.late and self.live
        answered_at = self.answered_at or now
        acts: Actions = []
        if self.reserved_agent is None:
            acts.append(a.PacerDial(self.ring_seconds(now), kind, now - answered_at))
        acts.append(a.RecordAnswer(self.attempt_id, answered_at, ev.status, ev.cause, self.live))
        if kind == "machine":
            acts += self._release_reserved()
            self.outcome = "machine"
            if self.leave_message:
                self.state, self.message_left = "message", True
                return [*acts, a.Play(self.id, self.playback_id, "machine")]
            self.state = "closing"
            return [*acts, a.HangUp(self.id)]
        if self.reserved_agent is not None:
            return [*acts, a.GuardLiveAnswer(self.reserved_agent, self.late)]
        self.state = "seeking"  # held (silence) for at most 2 s; routing finds the agent
        return [*acts, a.GuardLiveAnswer(None, self.late), a.Enqueue(self.id)]

    def _verdict_lost(self, ev: e.VerdictLost, now: float) -> Actions:
        """The customer answered and AMD listened, then the call ended unseen: a live
        answer abandoned, the safe side (the dialplan played the identification)."""
        self.live, self.outcome, self.state = True, "abandoned", "closing"
        return [
            a.Warn("dialer.verdict_lost"),
            a.GuardCutOff(),
            a.RecordAnswer(self.attempt_id, self.answered_at or now, "", "", True),
            *self._record("abandoned", now, why="verdict-lost"),
            *self._close(),
        ]

    def _no_agent(self, ev: e.NoAgent, now: float) -> Actions:
        """No agent within 2 s: identification message, hang up, counted, 72 h rest."""
        self.state, self.outcome = "closing", "abandoned"
        acts: Actions = [] if self.reserved_agent is not None else [a.CancelRoute(self.id)]
        return [*acts, a.Play(self.id, self.playback_id, "identification")]

    def _customer_gone(self, ev: e.CustomerGone, now: float) -> Actions:
        state, acts = self.state, cast(Actions, [])
        if state == "ringing":
            return self._unanswered(dial_outcome(None, ev.cause), now)
        if state == "seeking":
            self.outcome = "abandoned"
            acts = [a.GuardHangup(), a.CancelRoute(self.id)]
        elif state == "connecting":
            self.outcome = "abandoned"
            acts = [a.HangUp(self.agent_channel or ""), a.CancelRoute(self.id)]
        elif state == "talking":
            acts = self._end_talk(now)
        return [
            *acts,
            *self._record(self.outcome or "failed", now, why=f"customer-left-{state}"),
            *self._close(),
        ]

    def _playback_finished(self, ev: e.PlaybackFinished, now: float) -> Actions:
        return [a.HangUp(self.id)] if self.state in ("message", "closing") else []

    def _play_failed(self, ev: e.PlayFailed, now: float) -> Actions:
        return [a.HangUp(self.id)]

    def _hang_up_ringing(self, ev: e.HangUpRinging, now: float) -> Actions:
        self.hung_up_at = now
        return []

    def _hang_up_ringing_failed(self, ev: e.HangUpRingingFailed, now: float) -> Actions:
        self.hung_up_at = None
        return []

    # -- the agent's side --------------------------------------------------------------
    def _offered(self, ev: e.Offered, now: float) -> Actions:
        if self.state != "seeking":
            return [a.ReleaseAgent(ev.offer.call_id, ev.offer.agent_id)]
        self.offer = ev.offer
        return [a.GuardAgentFree(ev.offer.agent_id), *self._connect(ev.offer)]

    def _connect_ev(self, ev: e.Connect, now: float) -> Actions:
        return self._connect(ev.offer)

    def _connect(self, offer: Offer) -> Actions:
        self.state = "connecting"
        self.offer = self.offer or offer
        self.agent_channel = f"{self.id}-agent"
        return [
            a.CallAgent(
                self.offer.endpoint, self.agent_channel, self.id, self.number, offer.agent_id
            )
        ]

    def _agent_dial_status(self, ev: e.AgentDialStatus, now: float) -> Actions:
        if ev.status not in DIAL_FAILED:
            return []
        return self._agent_failed(AGENT_FAILURES.get(ev.status, "unreachable"))

    def _agent_unreachable(self, ev: e.AgentUnreachable, now: float) -> Actions:
        return self._agent_failed(ev.reason)

    def _agent_answered(self, ev: e.AgentAnswered, now: float) -> Actions:
        if self.state != "connecting" or ev.channel != self.agent_channel:
            return [a.HangUp(ev.channel)]
        return [a.BridgeLegs(self.bridge_id, self.id, ev.channel)]

    def _bridge_failed(self, ev: e.BridgeFailed, now: float) -> Actions:
        return [a.HangUp(ev.channel)]

    def _bridged(self, ev: e.Bridged, now: float) -> Actions:
        if self.state != "connecting":
            return []
        self.state, self.bridged_at = "talking", now
        return [
            a.CallConnected(self.id, self.agent_id or ""),
            *self._record("answered", now, agent_after=round(now - (self.verdict_at or now), 3)),
            a.OpenCall(ev.channel),
        ]

    def _agent_gone(self, ev: e.AgentGone, now: float) -> Actions:
        if self.state == "connecting":
            return self._agent_failed("no-answer")
        if self.state == "talking":
            return [a.HangUp(self.id)]
        return []

    def _agent_failed(self, reason: str) -> Actions:
        if self.state != "connecting":
            return []
        self.state, self.outcome = "closing", "abandoned"
        return [
            a.AgentFailed(self.id, self.agent_id or "", reason),
            a.CancelRoute(self.id),
            a.GuardLost(),  # it was counted as served
            a.Play(self.id, self.playback_id, "identification"),
        ]

    def _end_talk(self, now: float) -> Actions:
        talk = now - (self.bridged_at or now)
        acts: Actions = [
            a.HangUp(self.agent_channel or ""),
            a.DestroyBridge(self.bridge_id),
            a.ReleaseAgent(self.id, self.agent_id or ""),
        ]
        if self.reserved_agent is None:
            acts.append(a.PacerTalk(talk))
        return [*acts, a.TalkEnded(self.attempt_id, talk)]

    # -- endings ----------------------------------------------------------------------
    def _release_reserved(self) -> Actions:
        if self.reserved_agent is not None and self.state not in ("connecting", "talking"):
            return [a.ReleaseAgent(self.id, self.reserved_agent)]
        return []

    def _unanswered(self, outcome: AttemptOutcome, now: float) -> Actions:
        acts = self._release_reserved()
        if self.hung_up_at is not None:
            if self.answered_at is not None:  # Asterisk saw an answer before the hang-up
                acts += [
                    *self._cut_off(),
                    *self._record("abandoned", now, why="answered-as-hung-up"),
                ]
            else:  # the pacer already learnt it (censored)
                acts += self._record("no-answer", now, why="hung-up-after-ringing")
            return [*acts, *self._close()]
        if self.reserved_agent is None:
            acts.append(a.PacerDial(self.ring_seconds(now), pacer_outcome(outcome, None), None))
        return [*acts, *self._record(outcome, now), *self._close()]

    def _cut_off(self) -> Actions:
        """Someone answered a line the pacer was hanging up: an abandoned live answer for the
        guard (AMD never ran: the safe side), the number rests 72 h."""
        if self.outcome == "abandoned":
            return []
        self.state, self.outcome = "closing", "abandoned"
        return [a.GuardCutOff(), a.Warn("dialer.answered_as_hung_up"), a.HangUp(self.id)]

    def _record(self, outcome: AttemptOutcome, now: float, **details: Any) -> Actions:
        if self.recorded:
            return []
        self.recorded = True
        if self.late:  # counted abandoned by the guard, after a restart too
            details["late_verdict"] = True
        return [
            a.RecordAttempt(
                self.attempt_id,
                outcome,
                self.message_left,
                {
                    "ring_seconds": round(self.ring_seconds(now), 2),
                    "channel": self.id,
                    "agent_id": self.agent_id if outcome == "answered" else None,
                    "amd": self.amd[0] or None,
                    "amd_cause": self.amd[1] or None,
                    **details,
                },
            )
        ]

    def _close(self) -> Actions:
        self.state = "ended"
        return [a.Closed(self.id)]


_HANDLERS: dict[type, Callable[[Line, Any, float], Actions]] = {
    e.DialStatus: Line._dial_status,
    e.OriginateFailed: Line._originate_failed,
    e.Answered: Line._answered,
    e.AmdUnreachable: Line._amd_unreachable,
    e.Verdict: Line._verdict,
    e.VerdictLost: Line._verdict_lost,
    e.NoAgent: Line._no_agent,
    e.CustomerGone: Line._customer_gone,
    e.PlaybackFinished: Line._playback_finished,
    e.PlayFailed: Line._play_failed,
    e.HangUpRinging: Line._hang_up_ringing,
    e.HangUpRingingFailed: Line._hang_up_ringing_failed,
    e.Offered: Line._offered,
    e.Connect: Line._connect_ev,
    e.AgentDialStatus: Line._agent_dial_status,
    e.AgentUnreachable: Line._agent_unreachable,
    e.AgentAnswered: Line._agent_answered,
    e.Bridged: Line._bridged,
    e.BridgeFailed: Line._bridge_failed,
    e.AgentGone: Line._agent_gone,
}
