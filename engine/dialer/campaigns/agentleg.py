"""The agent's side of a line: the offer routing made for a person who answered (or the
preview agent), the agent's phone originated into the engine's app (``appArgs
dialer-agent,<line>``), the bridge when it answers (desk card and screen pop through the
call observers), and the end of the talk. Mixed into ``CampaignRunner`` with
``LineCalls``; runs in the campaign's one task.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from engine.ari.errors import AriError
from engine.calls import events as e
from engine.calls import speech_actions
from engine.calls.ports import Caller, Offer
from engine.dialer.campaigns import dial_store
from engine.dialer.core.actions import Bridge
from engine.dialer.core.line import Line
from engine.logs import get_logger

if TYPE_CHECKING:
    from engine.dialer.campaigns.runner import CampaignRunner

log = get_logger(__name__)


class AgentLeg:
    async def on_offer(self: CampaignRunner, offer: Offer) -> None:
        now = self.clock()
        await self.expire()
        line = self.lines.get(offer.call_id)
        if line is None or line.state != "seeking":
            await self.deps.router.call_ended(offer.call_id, offer.agent_id)
            return
        line.offer = offer
        bridges = [a for a in self.guard.agent_free(offer.agent_id, now) if isinstance(a, Bridge)]
        if bridges and bridges[0].call_id != line.id:
            log.warning("dialer.guard_order", offer=line.id, guard=bridges[0].call_id)
        await self.connect(line, offer.agent_id, now)

    async def connect(self: CampaignRunner, line: Line, agent_id: str, now: float) -> None:
        line.state = "connecting"
        if line.offer is None:
            endpoint = (await self.deps.router.store.agent(agent_id)).get("endpoint", "")
            line.offer = Offer(line.id, agent_id, endpoint)
        line.agent_channel = f"{line.id}-agent"
        try:
            await self.deps.ari.originate(
                line.offer.endpoint, channelId=line.agent_channel, app=self.deps.settings.app,
                appArgs=f"dialer-agent,{line.id}", callerId=line.number,
                timeout=int(self.deps.settings.agent_ring_timeout),
                variables={"TENURE_AGENT": agent_id, "TENURE_CALL": line.id})
        except AriError as exc:
            log.warning("dialer.agent_originate_failed", line=line.id, error=str(exc))
            await self.agent_failed(line, "originate-failed", now)

    async def agent_answered(self: CampaignRunner, line: Line, channel: str, now: float) -> None:
        if line.state != "connecting" or channel != line.agent_channel:
            await self.quiet(self.deps.ari.hangup(channel))
            return
        ari, agent_id = self.deps.ari, line.agent_id or ""
        try:
            await ari.create_bridge(line.bridge_id, "mixing", name=line.id)
            await ari.add_channel(line.bridge_id, [line.id, channel])
        except AriError as exc:
            log.warning("dialer.bridge_failed", line=line.id, error=str(exc))
            await self.quiet(ari.hangup(channel))
            return
        line.state, line.bridged_at = "talking", now
        await self.deps.router.call_connected(line.id, agent_id)
        await self.record(line, "answered", now,
                          agent_after=round(now - (line.verdict_at or now), 3))
        call = self.deps.new_call(line.id)
        call.status, call.caller_channel, call.caller_number = "connected", line.id, line.number
        call.agent_channel, call.offer = channel, line.offer
        customer = line.contact.get("customer_id")
        language = line.contact.get("language")
        call.caller = (Caller(customer, name=line.contact.get("name") or "", language=language)
                       if customer else None)
        call.record.update(caller_number=line.number, customer_id=customer, agent_id=agent_id,
                           language=language,
                           queue=self.campaign["queue"], topic=self.topic,
                           arrived_at=line.dialed_at, answered_at=line.answered_at,
                           connected_at=now, direction="outbound", campaign_id=self.id)
        line.call = call
        await self.deps.notify(call)
        call.speech = self.deps.speech_plan()     # None: speech off, nothing is heard
        await self.hear(line, e.HearTalk())

    async def hear(self: CampaignRunner, line: Line, event: e.CallEvent) -> None:
        """Feed a speech event to the line's call and carry out what it decides: both legs
        transcribed, emotion scored (agent hint, supervisor alert, the customer's
        profile), the transcript to the profile at the end, as for an inbound call."""
        call = line.call
        if call is None:
            return
        await speech_actions.hear(self.deps.listening(), call, event, self.clock(),
                                  functools.partial(self.post, self.heard, line.id))

    async def heard(self: CampaignRunner, line_id: str, event: e.CallEvent) -> None:
        line = self.lines.get(line_id)
        if line is not None:
            await self.hear(line, event)

    async def agent_failed(self: CampaignRunner, line: Line, reason: str, now: float) -> None:
        if line.state != "connecting":
            return
        agent_id = line.agent_id or ""
        line.state = "closing"
        await self.deps.router.agent_failed(line.id, agent_id, reason)
        await self.deps.router.cancel(line.id)
        self.guard.lost(line.id, line.number, now)     # it was counted as served
        line.outcome = "abandoned"
        await self.play(line, self.deps.settings.identification)

    async def agent_gone(self: CampaignRunner, line: Line, now: float) -> None:
        if line.state == "connecting":
            await self.agent_failed(line, "no-answer", now)
        elif line.state == "talking":
            await self.quiet(self.deps.ari.hangup(line.id))

    async def end_talk(self: CampaignRunner, line: Line, now: float) -> None:
        talk = now - (line.bridged_at or now)
        await self.quiet(self.deps.ari.hangup(line.agent_channel or ""))
        await self.quiet(self.deps.ari.destroy_bridge(line.bridge_id))
        await self.deps.router.call_ended(line.id, line.agent_id or "")
        if line.reserved_agent is None:
            self.pacer_talk(now, talk)
        await self.deps.db.run(dial_store.talk_ended, line.attempt_id, talk, now)
