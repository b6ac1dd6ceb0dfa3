"""What happens on a line once it is dialled: ARI events in, ARI requests, routing calls,
guard decisions and recorded outcomes out. Mixed into ``CampaignRunner``; every method
runs in the runner's one task, so a campaign's lines never race each other.

Dial: ``POST /channels`` into the engine's app (``appArgs dialer,<campaign>``) so the
``Dial`` events say busy / no answer / congestion; on answer the channel continues into
the ``[outbound-amd]`` context, and comes back as ``Stasis(app, outbound, AMDSTATUS,
AMDCAUSE)``. A person gets an agent through routing (or the preview agent), within the
guard's 2 s; the agent's phone is originated with ``appArgs dialer-agent,<line>`` and
bridged when it answers (desk card and screen pop through the call observers).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from engine.ari.errors import AriError, AriNotFound
from engine.calls.events import TalkOver
from engine.calls.ports import RouteRequest
from engine.dialer.campaigns import dial_store
from engine.dialer.campaigns.agentleg import AgentLeg
from engine.dialer.core.actions import Abandon, Bridge, DialerAction, HoldFor
from engine.dialer.core.compliance import AttemptOutcome
from engine.dialer.core.line import Line
from engine.dialer.core.missed import AMD_CONTEXT, missed, stasis_args
from engine.dialer.core.outcomes import amd_kind, dial_outcome, pacer_outcome
from engine.logs import get_logger

if TYPE_CHECKING:
    from engine.dialer.campaigns.runner import CampaignRunner

log = get_logger(__name__)
DIAL_FAILED = ("BUSY", "NOANSWER", "CANCEL", "CONGESTION", "CHANUNAVAIL")
AGENT_FAILURES = {"BUSY": "busy", "NOANSWER": "no-answer", "CANCEL": "no-answer"}


class LineCalls(AgentLeg):
    async def on_event(self: CampaignRunner, event: dict[str, Any]) -> None:
        handler = {"Dial": self._on_dial, "StasisStart": self._on_stasis,
                   "ChannelDestroyed": self._on_destroyed,
                   "PlaybackFinished": self._on_playback}.get(event.get("type", ""))
        if handler is not None:
            await handler(event, self.clock())

    async def _on_dial(self: CampaignRunner, event: dict[str, Any], now: float) -> None:
        peer, status = (event.get("peer") or {}).get("id", ""), event.get("dialstatus", "")
        line = self.line_of(peer)
        if line is None:
            return
        if peer == line.id and status == "ANSWER":
            line.answered_at = line.answered_at or now
        elif peer == line.id and status in DIAL_FAILED and line.state == "ringing":
            await self.unanswered(line, dial_outcome(status), now)
        elif peer == line.agent_channel and status in DIAL_FAILED:
            await self.agent_failed(line, AGENT_FAILURES.get(status, "unreachable"), now)

    async def _on_stasis(self: CampaignRunner, event: dict[str, Any], now: float) -> None:
        channel = (event.get("channel") or {}).get("id", "")
        args = event.get("args") or [""]
        line = self.lines.get(args[1]) if args[0] == "dialer-agent" else self.line_of(channel)
        if line is None:
            await self.quiet(self.deps.ari.hangup(channel))
        elif args[0] == "dialer":
            await self.answered(line, now)
        elif args[0] == "outbound":
            await self.verdict(line, args[1] if len(args) > 1 else "", ",".join(args[2:]), now)
        elif args[0] == "dialer-agent":
            await self.agent_answered(line, channel, now)

    async def _on_destroyed(self: CampaignRunner, event: dict[str, Any], now: float) -> None:
        channel = (event.get("channel") or {}).get("id", "")
        line = self.line_of(channel)
        if line is not None and channel == line.id:
            await self.customer_gone(line, int(event.get("cause") or 0), now)
        elif line is not None:
            await self.agent_gone(line, now)

    async def _on_playback(self: CampaignRunner, event: dict[str, Any], now: float) -> None:
        line = self.line_of(event["playback"].get("target_uri", "").split(":", 1)[-1])
        if line is not None and line.state in ("message", "closing"):
            await self.quiet(self.deps.ari.hangup(line.id))

    # -- what the event socket missed ------------------------------------------------
    def line_legs(self: CampaignRunner) -> dict[str, str | None]:
        """Each line's customer channel -> its agent leg's channel, if any."""
        return {line.id: line.agent_channel for line in self.lines.values()}

    async def reconcile(self: CampaignRunner, channels: dict[str, dict[str, Any]],
                        known: dict[str, str | None]) -> int:
        """After an ARI (re)connect, from Asterisk's channel list: what each line went
        through while the events were lost (``missed.py``), carried out as those events
        would have been. Only lines whose legs were all ``known`` (``line_legs``) before the
        list was asked for are judged: a leg made since cannot be in it. Returns how many
        lines it concerned."""
        moved = 0
        for line in list(self.lines.values()):
            if line.id in known and known[line.id] == line.agent_channel \
                    and line.id in self.lines and line.state != "ended":
                moved += await self.catch_up(line, channels.get(line.id),
                                             channels.get(line.agent_channel or ""))
        if moved:
            log.warning("dialer.lines_reconciled", campaign=self.id, lines=moved)
        return moved

    async def catch_up(self: CampaignRunner, line: Line, chan: dict[str, Any] | None,
                       agent: dict[str, Any] | None) -> bool:
        app, now = self.deps.settings.app, self.clock()
        what = missed(line.state, chan, agent, bool(line.agent_channel), app)
        if what == "gone":
            await self.customer_gone(line, 0, now)
        elif what == "verdict-lost":
            await self.verdict_lost(line, now)
        elif what == "answered":
            await self.answered(line, now)                      # AMD runs now
        elif what == "verdict":
            args = stasis_args(chan or {}, app)
            await self.verdict(line, args[1] if len(args) > 1 else "", ",".join(args[2:]),
                               now, late=True)
        elif what == "agent-gone":
            await self.agent_gone(line, now)
        elif what == "agent-answered":
            await self.agent_answered(line, line.agent_channel or "", now)
        elif what == "message-over?":
            try:
                await self.deps.ari.call("get_playback", playbackId=f"{line.id}-play")
                return False                                    # still playing
            except AriNotFound:
                await self.quiet(self.deps.ari.hangup(line.id))
            except AriError:
                return False
        return what is not None

    async def verdict_lost(self: CampaignRunner, line: Line, now: float) -> None:
        """The customer answered and AMD listened, then the call ended unseen (the engine's
        app was unreachable when AMD handed it over): a live answer abandoned, the safe
        side (the dialplan played a person the identification message)."""
        log.warning("dialer.verdict_lost", campaign=self.id, line=line.id)
        line.live, line.outcome, line.state = True, "abandoned", "closing"
        self.guard.cut_off(line.id, line.number, now)
        await self.deps.db.run(dial_store.answered, line.attempt_id, line.answered_at or now,
                               "", "", True)
        await self.record(line, "abandoned", now, why="verdict-lost")
        await self.close(line)

    def line_of(self: CampaignRunner, channel: str) -> Line | None:
        line = self.lines.get(channel)
        if line is None and channel.endswith("-agent"):
            line = self.lines.get(channel[: -len("-agent")])
        return line

    async def quiet(self: CampaignRunner, coro: Any) -> None:
        try:
            await coro
        except AriError as exc:
            if not isinstance(exc, AriNotFound):
                log.warning("dialer.ari_error", campaign=self.id, error=str(exc))

    # -- the customer's side ---------------------------------------------------------
    async def answered(self: CampaignRunner, line: Line, now: float) -> None:
        line.answered_at = line.answered_at or now
        if line.state != "ringing":
            return
        if line.hung_up_at is not None:       # answered as the pacer hung it up
            await self.cut_off(line, now)
            return
        line.state = "detecting"
        try:
            await self.deps.ari.call("continue_in_dialplan", channelId=line.id,
                                     context=AMD_CONTEXT, extension="s", priority=1)
        except AriError as exc:
            log.warning("dialer.amd_failed", line=line.id, error=str(exc))
            line.outcome = "failed"
            await self.quiet(self.deps.ari.hangup(line.id))

    async def verdict(self: CampaignRunner, line: Line, status: str, cause: str,
                      now: float, late: bool = False) -> None:
        if line.state != "detecting":
            return
        kind = amd_kind(status)
        line.live, line.amd, line.verdict_at = kind == "live", (status, cause), now
        line.late = late and line.live
        answered_at = line.answered_at or now
        if line.reserved_agent is None:
            self.pacer_record(now, line.ring_seconds(now), kind, now - answered_at)
        await self.deps.db.run(dial_store.answered, line.attempt_id, answered_at, status, cause,
                               line.live)
        if kind == "machine":
            await self.release_reserved(line)
            line.outcome = "machine"
            if self.policy.machine == "message":
                line.state, line.message_left = "message", True
                await self.play(line, self.deps.settings.machine_message)
            else:
                line.state = "closing"
                await self.quiet(self.deps.ari.hangup(line.id))
            return
        if line.reserved_agent is not None:
            await self.apply(self.guard.live_answer(line.id, line.number, now,
                                                    line.reserved_agent, late=line.late), now)
            return
        line.state = "seeking"      # held (silence) for at most 2 s; routing finds the agent
        await self.apply(self.guard.live_answer(line.id, line.number, now, late=line.late), now)
        try:
            await self.deps.router.enqueue(RouteRequest(line.id, self.campaign["queue"], now,
                                                        topic=self.topic))
        except Exception as exc:    # Redis down: no agent can come; the 2 s rule abandons it
            log.warning("dialer.enqueue_failed", line=line.id, error=str(exc))

    async def apply(self: CampaignRunner, actions: list[DialerAction], now: float) -> None:
        for action in actions:
            line = self.lines.get(action.call_id)
            if line is None:
                continue
            if isinstance(action, Bridge):
                await self.connect(line, action.agent_id, now)
            elif isinstance(action, HoldFor):
                loop = asyncio.get_running_loop()
                loop.call_at(loop.time() + max(0.0, action.deadline - now) + 0.01,
                             self.post, self.expire)
            elif isinstance(action, Abandon):
                await self.abandon(line)

    async def expire(self: CampaignRunner) -> None:
        await self.apply(list(self.guard.expire(self.clock())), self.clock())

    async def abandon(self: CampaignRunner, line: Line) -> None:
        """No agent within 2 s: identification message, hang up, counted, 72 h rest."""
        line.state, line.outcome = "closing", "abandoned"
        if line.reserved_agent is None:
            await self.deps.router.cancel(line.id)
        await self.play(line, self.deps.settings.identification)

    async def play(self: CampaignRunner, line: Line, media: tuple[str, ...]) -> None:
        try:
            await self.deps.ari.play(line.id, f"{line.id}-play", list(media))
        except AriError:
            await self.quiet(self.deps.ari.hangup(line.id))

    async def customer_gone(self: CampaignRunner, line: Line, cause: int, now: float) -> None:
        state = line.state
        if state == "ringing":
            await self.unanswered(line, dial_outcome(None, cause), now)
            return
        if state == "seeking":
            self.guard.hangup(line.id, now)
            line.outcome = "abandoned"
            await self.deps.router.cancel(line.id)
        elif state == "connecting":
            line.outcome = "abandoned"
            await self.quiet(self.deps.ari.hangup(line.agent_channel or ""))
            await self.deps.router.cancel(line.id)
        elif state == "talking":
            await self.end_talk(line, now)
        await self.record(line, line.outcome or "failed", now, why=f"customer-left-{state}")
        await self.close(line)

    # -- endings ----------------------------------------------------------------------
    async def release_reserved(self: CampaignRunner, line: Line) -> None:
        if line.reserved_agent is not None and line.state not in ("connecting", "talking"):
            await self.deps.router.call_ended(line.id, line.reserved_agent)

    async def unanswered(self: CampaignRunner, line: Line, outcome: AttemptOutcome,
                         now: float) -> None:
        await self.release_reserved(line)
        if line.hung_up_at is not None:
            if line.answered_at is not None:  # Asterisk saw an answer before the hang-up
                await self.cut_off(line, now)
                await self.record(line, "abandoned", now, why="answered-as-hung-up")
            else:                             # the pacer already learnt it (censored)
                await self.record(line, "no-answer", now, why="hung-up-after-ringing")
            await self.close(line)
            return
        if line.reserved_agent is None:
            self.pacer_record(now, line.ring_seconds(now), pacer_outcome(outcome, None), None)
        await self.record(line, outcome, now)
        await self.close(line)

    async def cut_off(self: CampaignRunner, line: Line, now: float) -> None:
        """Someone answered a line the pacer was hanging up: an abandoned live answer for the
        guard (AMD never ran: the safe side), the number rests 72 h."""
        if line.outcome == "abandoned":
            return
        line.state, line.outcome = "closing", "abandoned"
        self.guard.cut_off(line.id, line.number, now)
        log.warning("dialer.answered_as_hung_up", campaign=self.id, line=line.id)
        await self.quiet(self.deps.ari.hangup(line.id))

    async def record(self: CampaignRunner, line: Line, outcome: AttemptOutcome, now: float,
                     **details: Any) -> None:
        if line.recorded:
            return
        line.recorded = True
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if line.late:                   # counted abandoned by the guard, after a restart too
            details["late_verdict"] = True
        await self.deps.db.run(
            dial_store.finish_attempt, self.campaign["kind"], line.attempt_id, outcome, now,
            self.policy, line.message_left, {
                "ring_seconds": round(line.ring_seconds(now), 2), "channel": line.id,
                "agent_id": line.agent_id if outcome == "answered" else None,
                "amd": line.amd[0] or None, "amd_cause": line.amd[1] or None, **details})

    async def close(self: CampaignRunner, line: Line) -> None:
        line.state = "ended"
        self.guard.forget(line.id)
        self.lines.pop(line.id, None)
        self.deps.untrack(line.id)
        if line.agent_channel:
            self.deps.untrack(line.agent_channel)
        if line.call is not None:
            await self.hear(line, TalkOver())
            line.call.status = "ended"
            line.call.record.update(ended_at=self.clock(), status="completed")
            await self.deps.notify(line.call)
        self.kick()
