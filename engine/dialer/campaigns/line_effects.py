"""Carrying out what a campaign's lines decide: the ``line_actions`` that
``core.line.Line.handle`` returns (ARI requests, routing calls, the abandon guard's and
the pacer's notes, rows to record, the call object the desk and speech see), in order,
and the guard's own decisions (``apply``). Mixed into ``CampaignRunner``
(``runner.py``), in the campaign's one task.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from engine.ari.errors import AriError, AriNotFound, originator_gone
from engine.calls import events as ce
from engine.calls import speech_actions
from engine.calls.ports import Caller, Offer, RouteRequest
from engine.dialer.campaigns import dial_store
from engine.dialer.core import line_actions as a
from engine.dialer.core import line_events as e
from engine.dialer.core.actions import Abandon, Bridge, DialerAction, HoldFor
from engine.dialer.core.line import Line
from engine.dialer.core.missed import AMD_CONTEXT
from engine.dialer.core.pacing import Predictive, Progressive
from engine.logs import get_logger

if TYPE_CHECKING:
    from engine.calls.state import InboundCall
    from engine.dialer.campaigns.deps import Deps
    from engine.dialer.core.guard import AbandonGuard
    from engine.dialer.core.policy import CampaignPolicy

log = get_logger(__name__)


class LineEffects:
    """Mixed into ``CampaignRunner``; these are the attributes it relies on."""

    id: int
    deps: Deps
    clock: Callable[[], float]
    campaign: dict[str, Any]
    policy: CampaignPolicy
    guard: AbandonGuard
    pacer: Predictive | Progressive
    topic: str
    lines: dict[str, Line]
    calls: dict[str, InboundCall]
    outcomes: dict[str, int]

    if TYPE_CHECKING:

        def post(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None: ...

        def kick(self) -> None: ...

    # -- carrying out what the line decides ----------------------------------------------
    async def handle(self, line: Line, event: e.LineEvent, now: float) -> None:
        for action in line.handle(event, now):
            await _EXECUTE[type(action)](self, line, action, now)

    async def apply(self, actions: list[DialerAction], now: float) -> None:
        """The guard's decisions: an agent for a line (``Bridge``), a deadline to wake up
        at (``HoldFor``), no agent in time (``Abandon``)."""
        for action in actions:
            if not isinstance(action, Bridge | HoldFor | Abandon):
                continue
            line = self.lines.get(action.call_id)
            if line is None:
                continue
            if isinstance(action, Bridge):
                offer = line.offer or Offer(
                    line.id, action.agent_id, await self.deps.reservations.endpoint(action.agent_id)
                )
                await self.handle(line, e.Connect(offer), now)
            elif isinstance(action, HoldFor):
                loop = asyncio.get_running_loop()
                loop.call_at(
                    loop.time() + max(0.0, action.deadline - now) + 0.01, self.post, self.expire
                )
            elif isinstance(action, Abandon):
                await self.handle(line, e.NoAgent(), now)

    async def expire(self) -> None:
        await self.apply(list(self.guard.expire(self.clock())), self.clock())

    async def quiet(self, coro: Any) -> None:
        try:
            await coro
        except AriError as exc:
            if not isinstance(exc, AriNotFound):
                log.warning("dialer.ari_error", campaign=self.id, error=str(exc))

    async def _continue_to_amd(self, line: Line, act: a.ContinueToAmd, now: float) -> None:
        try:
            await self.deps.ari.call(
                "continue_in_dialplan",
                channelId=act.channel,
                context=AMD_CONTEXT,
                extension="s",
                priority=1,
            )
        except AriError as exc:
            log.warning("dialer.amd_failed", line=line.id, error=str(exc))
            await self.handle(line, e.AmdUnreachable(), now)

    async def _hang_up(self, line: Line, act: a.HangUp, now: float) -> None:
        await self.quiet(self.deps.ari.hangup(act.channel))

    async def _play(self, line: Line, act: a.Play, now: float) -> None:
        s = self.deps.settings
        media = s.identification if act.message == "identification" else s.machine_message
        try:
            await self.deps.ari.play(act.channel, act.playback_id, list(media))
        except AriError:
            await self.handle(line, e.PlayFailed(), now)

    async def _enqueue(self, line: Line, act: a.Enqueue, now: float) -> None:
        try:
            await self.deps.router.enqueue(
                RouteRequest(act.call_id, self.campaign["queue"], now, topic=self.topic)
            )
        except Exception as exc:  # Redis down: no agent can come; the 2 s rule abandons it
            log.warning("dialer.enqueue_failed", line=line.id, error=str(exc))

    async def _cancel_route(self, line: Line, act: a.CancelRoute, now: float) -> None:
        await self.deps.router.cancel(act.call_id)

    async def _release_agent(self, line: Line, act: a.ReleaseAgent, now: float) -> None:
        await self.deps.router.call_ended(act.call_id, act.agent_id)

    async def _agent_failed(self, line: Line, act: a.AgentFailed, now: float) -> None:
        await self.deps.router.agent_failed(act.call_id, act.agent_id, act.reason)

    async def _call_connected(self, line: Line, act: a.CallConnected, now: float) -> None:
        await self.deps.router.call_connected(act.call_id, act.agent_id)

    async def _call_agent(self, line: Line, act: a.CallAgent, now: float) -> None:
        try:
            await self.deps.ari.originate(
                act.endpoint,
                channelId=act.channel,
                app=self.deps.settings.app,
                appArgs=f"dialer-agent,{act.line_id}",
                callerId=act.caller_id,
                timeout=int(self.deps.settings.agent_ring_timeout),
                variables={"TENURE_AGENT": act.agent_id, "TENURE_CALL": act.line_id},
                originator=act.line_id,  # the customer's leg: its codecs, its linked id
            )
        except AriError as exc:
            if originator_gone(exc):  # the customer hung up first: that hangup ends the line
                return
            log.warning("dialer.agent_originate_failed", line=line.id, error=str(exc))
            await self.handle(line, e.AgentUnreachable("originate-failed"), now)

    async def _bridge_legs(self, line: Line, act: a.BridgeLegs, now: float) -> None:
        ari = self.deps.ari
        try:
            await ari.create_bridge(act.bridge_id, name=line.id)
            await ari.add_channel(act.bridge_id, [act.customer, act.agent])
        except AriError as exc:
            log.warning("dialer.bridge_failed", line=line.id, error=str(exc))
            await self.handle(line, e.BridgeFailed(act.agent), now)
            return
        await self.handle(line, e.Bridged(act.agent), now)

    async def _destroy_bridge(self, line: Line, act: a.DestroyBridge, now: float) -> None:
        await self.quiet(self.deps.ari.destroy_bridge(act.bridge_id))

    async def _guard_live(self, line: Line, act: a.GuardLiveAnswer, now: float) -> None:
        await self.apply(
            self.guard.live_answer(line.id, line.number, now, act.agent_id, late=act.late), now
        )

    async def _guard_agent_free(self, line: Line, act: a.GuardAgentFree, now: float) -> None:
        bridges = [x for x in self.guard.agent_free(act.agent_id, now) if isinstance(x, Bridge)]
        if bridges and bridges[0].call_id != line.id:
            log.warning("dialer.guard_order", offer=line.id, guard=bridges[0].call_id)

    async def _guard_hangup(self, line: Line, act: a.GuardHangup, now: float) -> None:
        self.guard.hangup(line.id, now)

    async def _guard_cut_off(self, line: Line, act: a.GuardCutOff, now: float) -> None:
        self.guard.cut_off(line.id, line.number, now)

    async def _guard_lost(self, line: Line, act: a.GuardLost, now: float) -> None:
        self.guard.lost(line.id, line.number, now)

    async def _pacer_dial(self, line: Line, act: a.PacerDial, now: float) -> None:
        if isinstance(self.pacer, Predictive):
            self.pacer.record_dial(
                now,
                act.ring_seconds,
                act.outcome,  # type: ignore[arg-type]
                act.amd_seconds,
            )

    async def _pacer_talk(self, line: Line, act: a.PacerTalk, now: float) -> None:
        if isinstance(self.pacer, Predictive):
            self.pacer.record_talk(now, act.seconds)

    async def _record_answer(self, line: Line, act: a.RecordAnswer, now: float) -> None:
        await self.deps.db.run(
            dial_store.answered,
            act.attempt_id,
            act.answered_at,
            act.amd_status,
            act.amd_cause,
            act.live,
        )

    async def _record_attempt(self, line: Line, act: a.RecordAttempt, now: float) -> None:
        self.outcomes[act.outcome] = self.outcomes.get(act.outcome, 0) + 1
        await self.deps.db.run(
            dial_store.finish_attempt,
            self.campaign["kind"],
            act.attempt_id,
            act.outcome,
            now,
            self.policy,
            act.message_left,
            act.details,
        )

    async def _talk_ended(self, line: Line, act: a.TalkEnded, now: float) -> None:
        await self.deps.db.run(dial_store.talk_ended, act.attempt_id, act.seconds, now)

    async def _open_call(self, line: Line, act: a.OpenCall, now: float) -> None:
        """The talk began: a call object for the desk card, the screen pop and speech."""
        call = self.deps.new_call(line.id)
        call.status, call.caller_channel, call.caller_number = "connected", line.id, line.number
        call.agent_channel, call.offer = act.agent_channel, line.offer
        customer = line.contact.get("customer_id")
        language = line.contact.get("language")
        call.caller = (
            Caller(customer, name=line.contact.get("name") or "", language=language)
            if customer
            else None
        )
        call.record.update(
            caller_number=line.number,
            customer_id=customer,
            agent_id=line.agent_id or "",
            language=language,
            queue=self.campaign["queue"],
            topic=self.topic,
            arrived_at=line.dialed_at,
            answered_at=line.answered_at,
            connected_at=now,
            direction="outbound",
            campaign_id=self.id,
        )
        self.calls[line.id] = call
        await self.deps.notify(call)
        call.speech = self.deps.speech_plan()  # None: speech off, nothing is heard
        await self.hear(line, ce.HearTalk())

    async def _closed(self, line: Line, act: a.Closed, now: float) -> None:
        self.guard.forget(line.id)
        if self.deps.claims is not None:
            await self.deps.claims.release(line.number, line.id)
        self.lines.pop(line.id, None)
        self.deps.untrack(line.id)
        if line.agent_channel:
            self.deps.untrack(line.agent_channel)
        call = self.calls.get(line.id)
        if call is not None:
            await self.hear(line, ce.TalkOver())
            self.calls.pop(line.id, None)
            call.status = "ended"
            call.record.update(ended_at=self.clock(), status="completed")
            await self.deps.notify(call)
        self.kick()

    async def _warn(self, line: Line, act: a.Warn, now: float) -> None:
        log.warning(act.event, campaign=self.id, line=line.id)

    # -- speech on a line's talk ----------------------------------------------------------
    async def hear(self, line: Line, event: ce.CallEvent) -> None:
        """Feed a speech event to the line's call and carry out what it decides: both legs
        transcribed, emotion scored (agent hint, supervisor alert, the customer's
        profile), the transcript to the profile at the end, as for an inbound call."""
        call = self.calls.get(line.id)
        if call is None:
            return
        await speech_actions.hear(
            self.deps.listening(),
            call,
            event,
            self.clock(),
            functools.partial(self.post, self.heard, line.id),
        )

    async def heard(self, line_id: str, event: ce.CallEvent) -> None:
        line = self.lines.get(line_id)
        if line is not None:
            await self.hear(line, event)


_EXECUTE: dict[type, Callable[[LineEffects, Line, Any, float], Awaitable[None]]] = {
    a.ContinueToAmd: LineEffects._continue_to_amd,
    a.HangUp: LineEffects._hang_up,
    a.Play: LineEffects._play,
    a.Enqueue: LineEffects._enqueue,
    a.CancelRoute: LineEffects._cancel_route,
    a.ReleaseAgent: LineEffects._release_agent,
    a.AgentFailed: LineEffects._agent_failed,
    a.CallConnected: LineEffects._call_connected,
    a.CallAgent: LineEffects._call_agent,
    a.BridgeLegs: LineEffects._bridge_legs,
    a.DestroyBridge: LineEffects._destroy_bridge,
    a.GuardLiveAnswer: LineEffects._guard_live,
    a.GuardAgentFree: LineEffects._guard_agent_free,
    a.GuardHangup: LineEffects._guard_hangup,
    a.GuardCutOff: LineEffects._guard_cut_off,
    a.GuardLost: LineEffects._guard_lost,
    a.PacerDial: LineEffects._pacer_dial,
    a.PacerTalk: LineEffects._pacer_talk,
    a.RecordAnswer: LineEffects._record_answer,
    a.RecordAttempt: LineEffects._record_attempt,
    a.TalkEnded: LineEffects._talk_ended,
    a.OpenCall: LineEffects._open_call,
    a.Closed: LineEffects._closed,
    a.Warn: LineEffects._warn,
}
