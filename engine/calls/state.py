"""The life of one inbound call, as a pure state object.

``InboundCall.handle(event, now)`` updates the call and returns the actions the
adapters must carry out, in order. No I/O, no clock, no ARI: tests drive it with
plain events and read the actions back.

    identifying -> ivr -> queued -> ringing -> connected -> ended
                            ^---------'  (agent busy / no answer: back to the front)

Speech (which legs are heard, barge-in, intents, no-match fallback, emotion) is in
``engine/calls/speech_state.py``, mixed in; with no ``SpeechPlan`` a call is keys only.
"""

from __future__ import annotations

from typing import Any, Literal

from engine.calls import actions as a
from engine.calls import events as e
from engine.calls.ports import Caller, Offer, RouteRequest, SpeechPlan
from engine.calls.speech_state import HANDLERS as SPEECH_HANDLERS
from engine.calls.speech_state import Hearing, SpeechTransitions
from engine.ivr.menu import Confirm, IvrConfig, IvrSession, PlayMenu, Route

Status = Literal["new", "identifying", "ivr", "queued", "ringing", "connected", "ended"]
RING_GRACE = 5.0  # seconds past the originate timeout before the engine gives up itself


class InboundCall(SpeechTransitions):
    def __init__(
        self,
        call_id: str,
        ivr: IvrConfig,
        ring_timeout: float = 15.0,
        speech: SpeechPlan | None = None,
    ) -> None:
        self.call_id = call_id
        self.status: Status = "new"
        self.ivr_config = ivr
        self.ivr: IvrSession | None = None
        self.ring_timeout = ring_timeout
        self.caller_channel = ""
        self.caller_number = ""
        self.caller: Caller | None = None
        self.offer: Offer | None = None
        self.agent_channel: str | None = None
        self.playback: str | None = None
        self.route: Route | None = None
        self.speech = speech
        self.listening: dict[str, Hearing] = {}  # role -> what is being heard
        self.speech_failed = False
        self._seq = 0
        self.record: dict[str, Any] = {"id": call_id, "status": "in-progress", "agent_attempts": 0}

    @classmethod
    def restore_connected(
        cls,
        call_id: str,
        ivr: IvrConfig,
        caller_number: str,
        agent_channel: str,
        agent_id: str,
        now: float,
    ) -> InboundCall:
        """A bridged call found in Asterisk after an engine restart."""
        call = cls(call_id, ivr)
        call.status = "connected"
        call.caller_channel, call.caller_number = call_id, caller_number
        call.agent_channel = agent_channel
        call.offer = Offer(call_id, agent_id, "")
        call.record.update(
            caller_channel=call_id,
            caller_number=caller_number,
            agent_id=agent_id,
            agent_channel=agent_channel,
            restored_at=now,
        )
        return call

    @property
    def bridge_id(self) -> str:
        return f"tenure-{self.call_id}"

    def channels(self) -> list[str]:
        return [c for c in (self.caller_channel, self.agent_channel) if c]

    # -- the one entry point ------------------------------------------------------
    def handle(self, event: e.CallEvent, now: float) -> list[a.CallAction]:
        if self.status == "ended":
            if isinstance(event, e.AgentOffered):  # offer raced with the hangup
                return [a.AgentReleased(self.call_id, event.offer.agent_id)]
            return []
        handler = _HANDLERS.get(type(event))
        return handler(self, event, now) if handler else []

    def _playback_done(self, ev: e.PlaybackDone, now: float) -> list[a.CallAction]:
        if self.status != "ivr" or ev.playback_id != self.playback:
            return []
        self.playback = None
        assert self.ivr is not None and self.ivr.menu is not None
        return [a.StartTimer("digit", self.ivr.menu.timeout)]

    def _timer(self, ev: e.TimerFired, now: float) -> list[a.CallAction]:
        if ev.name == "digit" and self.status == "ivr" and self.playback is None:
            assert self.ivr is not None
            return self._step(self.ivr.on_timeout(), now)
        if ev.name == "ring" and self.status == "ringing":
            return self._agent_failed("no-answer", now, hangup=True)
        return []

    def _agent_answered(self, ev: e.AgentAnswered, now: float) -> list[a.CallAction]:
        if self.status != "ringing" or ev.channel != self.agent_channel:
            return []
        self.record["agent_answered_at"] = now
        return [a.CancelTimer("ring"), a.ConnectAgent(self.bridge_id, ev.channel)]

    def _agent_leg_failed(self, ev: e.AgentLegFailed, now: float) -> list[a.CallAction]:
        if self.status != "ringing" or ev.channel != self.agent_channel:
            return []
        return self._agent_failed(ev.reason, now, hangup=False)

    def _agent_left(self, ev: e.AgentLeft, now: float) -> list[a.CallAction]:
        if self.status != "connected" or ev.channel != self.agent_channel:
            return []
        return self._end("agent", ev.cause, now)

    # -- transitions -------------------------------------------------------------
    def _arrived(self, ev: e.CallerArrived, now: float) -> list[a.CallAction]:
        self.status = "identifying"
        self.caller_channel, self.caller_number = ev.channel, ev.number
        self.ivr = IvrSession(self.ivr_config, ev.did)
        self.record.update(
            caller_channel=ev.channel,
            caller_number=ev.number,
            caller_name=ev.name,
            did=ev.did,
            arrived_at=now,
            answered_at=now,
        )
        return [a.Answer(ev.channel), a.Identify(ev.number)]

    def _identified(self, ev: e.Identified, now: float) -> list[a.CallAction]:
        if self.status != "identifying":
            return []
        self.caller = ev.caller
        if ev.caller is not None:
            self.record.update(
                customer_id=ev.caller.customer_id,
                vip_tier=ev.caller.vip_tier,
                risk_tier=ev.caller.risk_tier,
            )
        assert self.ivr is not None
        return self._step(self.ivr.start(ev.caller.language if ev.caller else None), now)

    def _digit(self, ev: e.Digit, now: float) -> list[a.CallAction]:
        if self.status != "ivr":
            return []
        assert self.ivr is not None
        out: list[a.CallAction] = [a.CancelTimer("digit")]
        if self.playback is not None:  # barge-in: a key stops the prompt
            out.append(a.StopPlayback(self.playback))
            self.playback = None
        return out + self._step(self.ivr.on_digit(ev.digit), now)

    def _step(self, step: PlayMenu | Route | Confirm, now: float) -> list[a.CallAction]:
        assert self.ivr is not None
        answer = self.ivr.take_answer()
        if answer is not None:  # "did you mean...?" answered: kept with the transcript
            led_to = f"queue:{step.queue}" if isinstance(step, Route) else f"menu:{step.menu}"
            note = self._answer_note(answer, led_to, now)
            return [note, *self._step(step, now)]
        self.record["ivr_path"] = list(self.ivr.path)
        if isinstance(step, Confirm):
            return self._ask_confirmation(step, now)
        if isinstance(step, PlayMenu):
            self.status = "ivr"
            self._seq += 1
            self.playback = f"{self.call_id}-p{self._seq}"
            language = self.ivr.language or (self.caller.language if self.caller else None)
            play = a.Play(self.caller_channel, self.playback, step.media, language)
            return [*self._hear_menu(step.menu), play]
        self.status = "queued"
        self.route = step
        language = step.language or (self.caller.language if self.caller else None)
        self.record.update(queue=step.queue, topic=step.topic, language=language, queued_at=now)
        request = RouteRequest(
            self.call_id, step.queue, self.record["arrived_at"], language, step.topic, self.caller
        )
        return [
            *self._stop_hearing("caller"),
            a.Hold(self.bridge_id, self.caller_channel),
            a.Enqueue(request),
        ]

    def _offered(self, ev: e.AgentOffered, now: float) -> list[a.CallAction]:
        offer = ev.offer
        if self.status != "queued":
            return [a.AgentReleased(self.call_id, offer.agent_id)]
        self.status = "ringing"
        self.offer = offer
        self.record["agent_attempts"] += 1
        self.agent_channel = f"{self.call_id}-a{self.record['agent_attempts']}"
        self.record.update(
            agent_id=offer.agent_id, agent_channel=self.agent_channel, agent_dialed_at=now
        )
        return [
            a.DialAgent(
                offer,
                self.agent_channel,
                self.caller_number,
                self.ring_timeout,
                self.caller_channel,
            ),
            a.StartTimer("ring", self.ring_timeout + RING_GRACE),
        ]

    def _agent_failed(self, reason: str, now: float, hangup: bool) -> list[a.CallAction]:
        assert self.offer is not None and self.agent_channel is not None
        out: list[a.CallAction] = [a.CancelTimer("ring")]
        if hangup:
            out.append(a.Hangup(self.agent_channel, "normal"))
        out.append(a.AgentFailed(self.call_id, self.offer.agent_id, reason))
        self.record["last_agent_failure"] = reason
        self.status, self.offer, self.agent_channel = "queued", None, None
        return out

    def _bridged(self, ev: e.Bridged, now: float) -> list[a.CallAction]:
        if self.status != "ringing":
            return []
        assert self.offer is not None and self.agent_channel is not None
        self.status = "connected"
        self.record["connected_at"] = now
        out: list[a.CallAction] = [
            a.AgentConnected(self.call_id, self.offer.agent_id, self.agent_channel)
        ]
        out += self._hear_talk()
        return [*out, a.Persist(dict(self.record))]

    def _caller_left(self, ev: e.CallerLeft, now: float) -> list[a.CallAction]:
        return self._end("caller", ev.cause, now)

    def _end(self, side: str, cause: str, now: float) -> list[a.CallAction]:
        was = self.status
        self.status = "ended"
        self.record.update(ended_at=now, hangup_by=side, end_cause=cause)
        self.record["status"] = end_status(was)
        out: list[a.CallAction] = [a.CancelTimer("digit"), a.CancelTimer("ring")]
        if side == "agent":
            out.append(a.Hangup(self.caller_channel))
        elif self.agent_channel:
            out.append(a.Hangup(self.agent_channel))
        if was in ("queued", "ringing", "connected"):
            out.append(a.DestroyBridge(self.bridge_id))
        if was == "connected":
            assert self.offer is not None
            out.append(a.AgentReleased(self.call_id, self.offer.agent_id))
        elif was in ("queued", "ringing"):
            out.append(a.Dequeue(self.call_id))
        out.append(a.Persist(dict(self.record)))
        return out + self._finish_speech(now)  # after the agent is free: never holds routing


def end_status(was: str) -> str:
    """A call record's final status from the call's status when it ended."""
    return {"connected": "completed", "queued": "abandoned", "ringing": "abandoned"}.get(
        was, "ended-in-ivr"
    )


def lost_record(
    record: dict[str, Any] | None, snapshot: dict[str, Any], now: float
) -> dict[str, Any] | None:
    """The record of a call its engine lost (the engine died; Asterisk ended the call
    while nobody watched), closed: what the record had, what the live snapshot knew,
    ended now with cause ``engine-lost``. None when the record is already closed."""
    if record is not None and record.get("status") != "in-progress":
        return None
    known = {k: v for k, v in snapshot.items() if k not in ("status", "result", "engine")}
    closed = {**known, **(record or {})}
    # the record is written when the call connects, the snapshot a moment later: either
    # saying so means the caller talked to an agent
    was = "connected" if closed.get("connected_at") else str(snapshot.get("status", ""))
    closed.update(
        id=snapshot["id"],
        status=end_status(was),
        ended_at=now,
        end_cause="engine-lost",
    )
    return {k: v for k, v in closed.items() if v is not None}


_HANDLERS: dict[type, Any] = {
    e.CallerArrived: InboundCall._arrived,
    e.Identified: InboundCall._identified,
    e.Digit: InboundCall._digit,
    e.PlaybackDone: InboundCall._playback_done,
    e.TimerFired: InboundCall._timer,
    e.AgentOffered: InboundCall._offered,
    e.AgentAnswered: InboundCall._agent_answered,
    e.AgentLegFailed: InboundCall._agent_leg_failed,
    e.Bridged: InboundCall._bridged,
    e.CallerLeft: InboundCall._caller_left,
    e.AgentLeft: InboundCall._agent_left,
    **SPEECH_HANDLERS,
}
