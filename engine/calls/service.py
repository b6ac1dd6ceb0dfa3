"""The inbound call service: ARI events in, one ``CallRunner`` per call.

It owns the maps from channel and playback IDs to calls, turns raw ARI events into
call events, and after every (re)connect of the event socket resyncs with what
Asterisk really has (``GET /channels``, ``GET /bridges``): calls whose channels
vanished while the socket was down are ended; bridged calls the engine does not know
(it restarted) are adopted; leftover bridges are destroyed. Nothing leaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from engine.ari.client import AriClient
from engine.ari.errors import AriError
from engine.calls import events as e
from engine.calls.ports import CallerLookup, Listening, NoListening, Offer, Router, SpeechPlan
from engine.calls.runner import CallRunner
from engine.calls.state import InboundCall
from engine.calls.store import CallRecords
from engine.ivr.menu import IvrConfig
from engine.logs import get_logger

log = get_logger(__name__)
BRIDGE_PREFIX = "tenure-"
CAUSES = {
    17: "busy",
    18: "no-answer",
    19: "no-answer",
    21: "rejected",
    34: "congestion",
    38: "unreachable",
    3: "unreachable",
    1: "unreachable",
}
DIAL_STATUS = {
    "BUSY": "busy",
    "NOANSWER": "no-answer",
    "CONGESTION": "congestion",
    "CHANUNAVAIL": "unreachable",
    "CANCEL": "no-answer",
}
CallObserver = Callable[[InboundCall], Awaitable[None]]
EventTap = Callable[[dict[str, Any]], None]
OfferClaim = Callable[[Offer], Awaitable[bool]]


class CallService:
    def __init__(
        self,
        ari: AriClient,
        app: str,
        ivr: Callable[[], IvrConfig],
        router: Router,
        lookup: CallerLookup,
        records: CallRecords,
        ring_timeout: float = 15.0,
        hold_music: str = "default",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ari, self.app, self.ivr, self.router = ari, app, ivr, router
        self.lookup, self.records = lookup, records
        self.ring_timeout = ring_timeout
        self.hold_music = hold_music
        self.clock = clock
        self.runners: dict[str, CallRunner] = {}
        self.by_channel: dict[str, str] = {}
        self.by_playback: dict[str, str] = {}
        self.observers: list[CallObserver] = []  # told of every status change
        # Extension points for other domains (wired in engine/app.py):
        # - stasis_apps: channels whose first Stasis argument is a key here (e.g. the
        #   dialer's "outbound", speech's "media"; "" for channels entering with no
        #   argument, like externalMedia) go to that handler, not the inbound path;
        # - taps: see every raw ARI event, after the inbound path had it;
        # - offer_claims: an agent offer for a call this service does not know is offered
        #   to each claim in turn (e.g. the dialer's reserved agents); unclaimed, it ends.
        self.stasis_apps: dict[str, EventTap] = {}
        self.taps: list[EventTap] = []
        self.offer_claims: list[OfferClaim] = []
        # - speech: what new calls may hear (None: keys only) and who hears their legs.
        self.speech_plan: SpeechPlan | None = None
        self.listening: Listening = NoListening()
        self._background: set[asyncio.Task[Any]] = set()
        router.set_offer_callback(self.on_offer)

    # -- bookkeeping used by runners ----------------------------------------------
    def track_channel(self, channel_id: str, call_id: str) -> None:
        self.by_channel[channel_id] = call_id

    def track_playback(self, playback_id: str, call_id: str) -> None:
        self.by_playback[playback_id] = call_id

    def forget(self, runner: CallRunner) -> None:
        call = runner.call
        self.runners.pop(call.call_id, None)
        for channel in call.channels():
            self.by_channel.pop(channel, None)
        for key in [k for k, v in self.by_channel.items() if v == call.call_id]:
            del self.by_channel[key]
        for key in [k for k, v in self.by_playback.items() if v == call.call_id]:
            del self.by_playback[key]

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def persist(self, record: dict[str, Any]) -> None:
        self._spawn(self._persist(record))

    async def _persist(self, record: dict[str, Any]) -> None:
        try:
            await self.records.save(record)
        except Exception:
            log.exception("call.persist_failed", call=record.get("id"))

    def notify(self, call: InboundCall) -> None:
        for observer in self.observers:
            self._spawn(observer(call))

    def _runner(self, channel_id: str) -> CallRunner | None:
        call_id = self.by_channel.get(channel_id)
        return self.runners.get(call_id) if call_id else None

    def _start_call(self, call: InboundCall, first: e.CallEvent) -> CallRunner:
        runner = CallRunner(self, call)
        self.runners[call.call_id] = runner
        self.by_channel[call.call_id] = call.call_id
        runner.feed(first)
        return runner

    # -- ARI events ------------------------------------------------------------
    def on_event(self, event: dict[str, Any]) -> None:
        self._inbound_event(event)
        for tap in self.taps:
            try:
                tap(event)
            except Exception:
                log.exception("ari.tap_failed", event_type=event.get("type"))

    def _inbound_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        channel = event.get("channel") or {}
        cid = channel.get("id", "")
        if kind == "StasisStart":
            self._stasis_start(event, channel)
        elif kind == "ChannelDtmfReceived":
            runner = self._runner(cid)
            if runner is not None and cid == runner.call.caller_channel:
                runner.feed(e.Digit(event["digit"]))
        elif kind == "PlaybackFinished":
            pid = event["playback"]["id"]
            call_id = self.by_playback.pop(pid, None)
            runner = self.runners.get(call_id) if call_id else None
            if runner is not None:
                runner.feed(e.PlaybackDone(pid))
        elif kind == "Dial":
            self._dial_result(event)
        elif kind in ("StasisEnd", "ChannelDestroyed"):
            runner = self._runner(cid)
            if runner is not None:
                runner.feed(self._gone(runner.call, cid, event))

    def _dial_result(self, event: dict[str, Any]) -> None:
        """An agent leg's dial outcome (BUSY, NOANSWER...), which is more precise than
        the hangup cause a Local channel reports."""
        status = event.get("dialstatus", "")
        peer = (event.get("peer") or {}).get("id", "")
        reason = DIAL_STATUS.get(status)
        runner = self._runner(peer)
        if reason is not None and runner is not None and peer == runner.call.agent_channel:
            runner.feed(e.AgentLegFailed(peer, reason))

    def _gone(self, call: InboundCall, channel_id: str, event: dict[str, Any]) -> e.CallEvent:
        cause = CAUSES.get(int(event.get("cause", 16) or 16), "hangup")
        if channel_id == call.caller_channel:
            return e.CallerLeft(event.get("cause_txt", "hangup") or "hangup")
        if call.status == "ringing" and event["type"] == "ChannelDestroyed":
            return e.AgentLegFailed(channel_id, cause if cause != "hangup" else "no-answer")
        return e.AgentLeft(channel_id, "hangup")

    def _stasis_start(self, event: dict[str, Any], channel: dict[str, Any]) -> None:
        args = event.get("args") or []
        cid = channel["id"]
        key = args[0] if args else ""
        if key in self.stasis_apps:
            self.stasis_apps[key](event)
            return
        if args[:1] == ["agent"] and len(args) > 1:
            runner = self.runners.get(args[1])
            if runner is None:
                self._spawn(self._hangup_quietly(cid))
            else:
                runner.feed(e.AgentAnswered(cid))
            return
        if cid in self.by_channel:
            return
        did = args[1] if len(args) > 1 else (channel.get("dialplan") or {}).get("exten", "")
        caller = channel.get("caller") or {}
        call = InboundCall(cid, self.ivr(), self.ring_timeout, self.speech_plan)
        self._start_call(
            call, e.CallerArrived(cid, caller.get("number", ""), did, caller.get("name", ""))
        )

    async def _hangup_quietly(self, channel_id: str) -> None:
        with contextlib.suppress(AriError):
            await self.ari.hangup(channel_id)

    async def on_offer(self, offer: Offer) -> None:
        runner = self.runners.get(offer.call_id)
        if runner is None:
            for claim in self.offer_claims:
                if await claim(offer):
                    return
            await self.router.call_ended(offer.call_id, offer.agent_id)
            return
        runner.feed(e.AgentOffered(offer))

    # -- resync after (re)connect ----------------------------------------------
    async def resync(self) -> None:
        # each call's legs before Asterisk is asked: one made while the lists are on their
        # way (an agent dialled meanwhile) is not in them, and is not gone
        known = {call_id: set(runner.call.channels()) for call_id, runner in self.runners.items()}
        channels = {c["id"]: c for c in await self.ari.channels()}
        bridges = {b["id"]: b for b in await self.ari.bridges()}
        ended = adopted = destroyed = 0
        for call_id, runner in list(self.runners.items()):
            call = runner.call
            for cid in call.channels():
                if cid in known.get(call_id, ()) and cid not in channels:
                    runner.feed(self._gone(call, cid, {"type": "ChannelDestroyed"}))
                    ended += 1
        for bridge_id, bridge in bridges.items():
            if not bridge_id.startswith(BRIDGE_PREFIX):
                continue
            call_id = bridge_id[len(BRIDGE_PREFIX) :]
            if call_id in self.runners:
                continue
            if await self._adopt(call_id, bridge, channels):
                adopted += 1
            else:
                await self._destroy_leftover(bridge_id, bridge)
                destroyed += 1
        for cid, chan in channels.items():
            if cid in self.by_channel or (chan.get("dialplan") or {}).get("app_name") != "Stasis":
                continue
            data = (chan.get("dialplan") or {}).get("app_data", "")
            if data.startswith(f"{self.app},inbound"):
                args = data.split(",")[1:]
                self._stasis_start({"args": args}, chan)
        log.info(
            "ari.resynced",
            live=len(self.runners),
            ended=ended,
            adopted=adopted,
            destroyed=destroyed,
        )

    async def _adopt(
        self, call_id: str, bridge: dict[str, Any], channels: dict[str, dict[str, Any]]
    ) -> bool:
        members = set(bridge.get("channels") or [])
        agents = [c for c in members if c.startswith(f"{call_id}-a")]
        if call_id not in members or len(agents) != 1:
            return False
        try:
            var = await self.ari.call("get_variable", channelId=agents[0], variable="TENURE_AGENT")
        except AriError:
            return False
        caller = channels[call_id].get("caller") or {}
        call = InboundCall.restore_connected(
            call_id,
            self.ivr(),
            caller.get("number", ""),
            agents[0],
            var.get("value", ""),
            self.clock(),
        )
        call.speech = self.speech_plan  # heard again, as before the restart
        runner = CallRunner(self, call)
        self.runners[call_id] = runner
        for cid in call.channels():
            self.by_channel[cid] = call_id
        runner.feed(e.HearTalk())
        return True

    async def _destroy_leftover(self, bridge_id: str, bridge: dict[str, Any]) -> None:
        for cid in bridge.get("channels") or []:
            await self._hangup_quietly(cid)
        with contextlib.suppress(AriError):
            await self.ari.destroy_bridge(bridge_id)

    # -- introspection and shutdown -----------------------------------------------
    def live_calls(self) -> list[dict[str, Any]]:
        return [
            {
                "id": r.call.call_id,
                "status": r.call.status,
                "caller_number": r.call.caller_number,
                "queue": r.call.record.get("queue"),
                "agent_id": r.call.record.get("agent_id"),
                "arrived_at": r.call.record.get("arrived_at"),
            }
            for r in self.runners.values()
        ]

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait for pending record writes (calls themselves live on in Asterisk)."""
        if self._background:
            await asyncio.wait(set(self._background), timeout=timeout)
