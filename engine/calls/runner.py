"""Carries out one call's actions against ARI, the router and the store.

Each call has a mailbox and one task: events are handled strictly in order, and
the actions they produce are executed in order, so a call never races itself while
calls run concurrently with each other. A channel or bridge that is already gone
(ARI 404) is not an error: the hangup event that follows ends the call.

Speech actions (listen, stop, emotion, transcript) go to the call's own speech lane, a
second task that runs them in order beside the call: opening a tap (three ARI requests
and two StasisStarts) never holds up answering, queueing or bridging the call. When the
call ends the lane is drained (bounded) before what it still hears is torn down.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from engine.ari.errors import AriError, AriNotFound, originator_gone
from engine.calls import actions as a
from engine.calls import events as e
from engine.calls import speech_actions
from engine.calls.state import InboundCall
from engine.logs import get_logger

if TYPE_CHECKING:
    from engine.calls.service import CallService

log = get_logger(__name__)
LOOKUP_TIMEOUT = 0.5  # a slow profile store never holds a caller in silence
SPEECH_DRAIN_TIMEOUT = 10.0  # seconds a finished call's speech lane may take to drain
SpeechAction = a.Listen | a.StopListening | a.ShowEmotion | a.FinishTranscript | a.RecordAnswer


class CallRunner:
    def __init__(self, service: CallService, call: InboundCall) -> None:
        self.service = service
        self.call = call
        self.mailbox: asyncio.Queue[e.CallEvent] = asyncio.Queue()
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.hold_task: asyncio.Future[None] | None = None
        self._speech: asyncio.Queue[SpeechAction | None] = asyncio.Queue()
        self._speech_task: asyncio.Task[None] | None = None
        self.task = asyncio.get_running_loop().create_task(self._run(), name=call.call_id)

    def feed(self, event: e.CallEvent) -> None:
        self.mailbox.put_nowait(event)

    async def _run(self) -> None:
        call = self.call
        try:
            while call.status != "ended" or not self.mailbox.empty():
                event = await self.mailbox.get()
                before = call.status
                for action in call.handle(event, self.service.clock()):
                    await self._execute(action)
                if call.status != before:
                    self.service.notify(call)
        except asyncio.CancelledError:
            await self._stop_speech(drain=False)
            raise
        except Exception:
            log.exception("call.failed", call=call.call_id)
            for channel in call.channels():
                await self._quiet(self.service.ari.hangup(channel))
        finally:
            for handle in self.timers.values():
                handle.cancel()
            await self._stop_speech(drain=True)
            self.service.listening.forget(call.call_id)  # tears down what is still heard
            self.service.forget(self)

    def _to_speech(self, action: SpeechAction) -> None:
        if self._speech_task is None:
            self._speech_task = asyncio.ensure_future(self._speech_lane())
        self._speech.put_nowait(action)

    async def _speech_lane(self) -> None:
        while (action := await self._speech.get()) is not None:
            if isinstance(action, a.Listen) and self.call.status == "ended":
                continue  # the call ended while this waited: nothing left to hear
            try:
                await speech_actions.perform(self.service.listening, self.call, action, self.feed)
            except Exception:  # speech is never the call's failure
                log.exception("call.speech_failed", call=self.call.call_id)

    async def _stop_speech(self, drain: bool) -> None:
        """The call is over: let the lane finish what it was given (``drain``, bounded),
        else stop it where it is (a half-opened tap closes itself)."""
        task, self._speech_task = self._speech_task, None
        if task is None:
            return
        if drain:
            self._speech.put_nowait(None)
            await asyncio.wait({task}, timeout=SPEECH_DRAIN_TIMEOUT)
        if not task.done():
            task.cancel()
            await asyncio.wait({task})

    async def _quiet(self, coro: object) -> None:
        try:
            await coro  # type: ignore[misc]
        except AriError as exc:
            if not isinstance(exc, AriNotFound):
                log.warning("call.ari_error", call=self.call.call_id, error=str(exc))

    async def _execute(self, action: a.CallAction) -> None:  # noqa: C901 - one branch per action
        svc, call = self.service, self.call
        match action:
            case a.Answer(channel):
                try:
                    await svc.ari.answer(channel)
                except AriError:
                    self.feed(e.CallerLeft("answer-failed"))
            case a.Identify(number):
                try:
                    caller = await asyncio.wait_for(svc.lookup.identify(number), LOOKUP_TIMEOUT)
                except Exception as exc:
                    log.warning("call.lookup_failed", call=call.call_id, error=repr(exc))
                    caller = None
                self.feed(e.Identified(caller))
            case a.Play(channel, playback_id, media, lang):
                svc.track_playback(playback_id, call.call_id)
                try:
                    await svc.ari.play(channel, playback_id, list(media), lang)
                except AriError:
                    self.feed(e.PlaybackDone(playback_id))
            case a.StopPlayback(playback_id):
                await self._quiet(svc.ari.stop_playback(playback_id))
            case a.Hold(bridge_id, channel):  # runs alongside routing; connect waits for it
                self.hold_task = asyncio.ensure_future(self._hold(bridge_id, channel))
            case a.StartTimer(name, seconds):
                self._cancel_timer(name)
                self.timers[name] = asyncio.get_running_loop().call_later(
                    seconds, self.feed, e.TimerFired(name)
                )
            case a.CancelTimer(name):
                self._cancel_timer(name)
            case a.Enqueue(request):
                await svc.router.enqueue(request)
            case a.Dequeue(call_id):
                await svc.router.cancel(call_id)
            case a.DialAgent():
                await self._dial(action)
            case a.ConnectAgent(bridge_id, agent_channel):
                if self.hold_task is not None:
                    await self.hold_task
                added, _ = await asyncio.gather(
                    svc.ari.add_channel(bridge_id, [agent_channel]),
                    svc.ari.call("stop_bridge_moh", bridgeId=bridge_id),
                    return_exceptions=True,
                )
                if isinstance(added, BaseException):
                    log.warning("call.bridge_failed", call=call.call_id, error=str(added))
                    return
                self.feed(e.Bridged())
            case a.AgentFailed(call_id, agent_id, reason):
                await svc.router.agent_failed(call_id, agent_id, reason)
            case a.AgentConnected():
                await svc.router.call_connected(action.call_id, action.agent_id)
            case a.AgentReleased(call_id, agent_id):
                await svc.router.call_ended(call_id, agent_id)
            case a.Hangup(channel, reason):
                await self._quiet(svc.ari.hangup(channel, reason))
            case a.DestroyBridge(bridge_id):
                await self._quiet(svc.ari.destroy_bridge(bridge_id))
            case a.Persist(record):
                svc.persist(record)
            case (
                a.Listen()
                | a.StopListening()
                | a.ShowEmotion()
                | a.FinishTranscript()
                | a.RecordAnswer()
            ):
                self._to_speech(action)  # beside the call, never in its way

    def _cancel_timer(self, name: str) -> None:
        handle = self.timers.pop(name, None)
        if handle is not None:
            handle.cancel()

    async def _hold(self, bridge_id: str, channel: str) -> None:
        svc = self.service
        try:
            await svc.ari.create_bridge(bridge_id, name=self.call.call_id)
            await svc.ari.add_channel(bridge_id, [channel])
        except AriError as exc:
            log.warning("call.hold_failed", call=self.call.call_id, error=str(exc))
            return
        if svc.hold_music:
            await self._quiet(
                svc.ari.call("start_bridge_moh", bridgeId=bridge_id, mohClass=svc.hold_music)
            )

    async def _dial(self, action: a.DialAgent) -> None:
        svc = self.service
        svc.track_channel(action.channel_id, self.call.call_id)
        try:
            await svc.ari.originate(
                action.offer.endpoint,
                channelId=action.channel_id,
                app=svc.app,
                appArgs=f"agent,{self.call.call_id}",
                callerId=action.caller_number,
                timeout=int(action.timeout),
                variables={"TENURE_AGENT": action.offer.agent_id, "TENURE_CALL": self.call.call_id},
                originator=action.originator or None,  # (None: not sent)
            )
        except AriError as exc:
            if originator_gone(exc):  # the caller hung up first: its hangup ends the call,
                return  # and the agent is not to blame
            log.warning(
                "call.originate_failed",
                call=self.call.call_id,
                endpoint=action.offer.endpoint,
                error=str(exc),
            )
            self.feed(e.AgentLegFailed(action.channel_id, "originate-failed"))
