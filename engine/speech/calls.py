"""Speech for live calls: the call path's ``Listening`` adapter.

The call runner asks it to hear a leg (``listen``: IVR grammar or free-form), to stop,
to show an emotion score and to finish a transcript. Each leg is first admitted against
the listening budget (``admission.py``: IVR menu, caller or agent leg, the caller's VIP
tier, churn risk and agitation): a leg that is not admitted waits with no snoop, no
externalMedia and no media port, and is tapped when a slot frees (``listen`` returns at
once). Per admitted leg it holds an ARI tap (``taps.py``) feeding a ``LegListener``
(media port + recognition + emotion). What comes
back is turned into call events for the runner (``SpeechStarted`` on an utterance's
first partial, ``SpeechIntent``/``SpeechNoMatch`` on a menu final, ``EmotionObserved``
per caller final), published live (``<prefix>:transcripts:<call>``) and, for finals,
stored (``transcripts`` table). Emotion alerts go to the agent's desk, the supervisors
(``<prefix>:events:emotion`` and the live call state) and the customer's profile
through ``on_customer_event(envelope)``, which the composition root wires to the
profile store (default: nothing). Nothing here blocks the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import itertools
import statistics
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from engine.ari.errors import AriNotFound
from engine.calls import actions as a
from engine.calls import events as e
from engine.calls.ports import Deliver
from engine.logs import get_logger
from engine.media.server import MediaServer
from engine.speech import messages
from engine.speech.admission import Action, Admission, Admit, Leg, Standing, Withdraw
from engine.speech.emotion.score import EmotionEvent, EmotionScore
from engine.speech.feed import TranscriptFeed
from engine.speech.legs import LegListener
from engine.speech.remote import RemoteSpeech
from engine.speech.results import Transcript
from engine.speech.service import SpeechService
from engine.speech.taps import AriTaps, Tap

log = get_logger(__name__)
# Seconds a leg admitted from the queue (a slot freed) waits before it is tapped: a call
# that ends meanwhile costs no snoop, externalMedia, bridge, port or session. When calls
# end one after another (a queue drained, the end of a campaign, the benchmark's
# hang-ups), each freed slot went to a leg whose call ended a few tens of ms later
TAP_SETTLE = 0.3
CustomerHook = Callable[[dict[str, Any]], Awaitable[Any] | None]
LiveHook = Callable[[Any], Awaitable[None]]


def _no_customer(envelope: dict[str, Any]) -> None:
    return None


@dataclass
class HeardLeg:
    call_id: str
    role: str
    lang: str
    menu: str | None
    deliver: Deliver
    slot: Leg  # its key in the admission budget
    channel: str = ""
    waiting: bool = False  # not admitted yet: nothing tapped
    opening: bool = False  # admitted while waiting: its tap is being opened
    listener: LegListener | None = None
    tap: Tap | None = None
    speaking: bool = False
    last_final: dict[str, Any] | None = None
    pending_final: dict[str, Any] | None = None  # a menu final awaiting its evidence


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def kind_of(role: str, menu: str | None) -> str:
    return "ivr" if menu is not None else "agent" if role == "agent" else "caller"


def standing_of(call: Any) -> Standing:
    """The caller's standing as the call knows it: profile tiers, the latest emotion."""
    caller = getattr(call, "caller", None)
    emotion = (getattr(call, "record", None) or {}).get("emotion") or {}
    return Standing(
        getattr(caller, "vip_tier", None),
        getattr(caller, "risk_tier", None),
        emotion.get("label"),
        emotion.get("score"),
    )


@dataclass
class CallText:
    segments: list[dict[str, Any]] = field(default_factory=list)
    complaints: list[str] = field(default_factory=list)


class CallSpeech:
    def __init__(
        self,
        speech: SpeechService | RemoteSpeech,
        media: MediaServer,
        taps: AriTaps,
        feed: TranscriptFeed,
        live: LiveHook | None = None,
        admission: Admission | None = None,
        tap_settle: float = TAP_SETTLE,
    ) -> None:
        self.speech, self.media, self.taps, self.feed, self.live = speech, media, taps, feed, live
        self.admission = admission or Admission(budget=1 << 30)
        self.tap_settle = tap_settle
        self.on_customer_event: CustomerHook = _no_customer
        self.legs: dict[tuple[str, str], HeardLeg] = {}
        self.texts: dict[str, CallText] = {}
        # tap IDs differ from one engine life to the next: an adopted call's new taps never
        # meet the old ones Asterisk is still tearing down
        self._seq = itertools.count(int(time.time() * 1000))
        self._background: set[asyncio.Task[Any]] = set()
        # seconds from the caller's end of speech to each menu decision (the last 1,000)
        self.decisions: deque[float] = deque(maxlen=1000)
        self.recognizer_parts: deque[float] = deque(maxlen=1000)  # of which: recogniser
        self.decided = 0

    # -- Listening (called by the call runner) --------------------------------------
    async def listen(
        self,
        call_id: str,
        role: str,
        channel: str,
        lang: str,
        menu: str | None,
        deliver: Deliver,
        call: Any = None,
    ) -> None:
        key = (call_id, role)
        kind, standing = kind_of(role, menu), standing_of(call)
        leg = self.legs.get(key)
        if leg is not None and leg.lang == lang and (leg.listener or leg.waiting or leg.opening):
            actions = self.admission.request(leg.slot, kind, standing, time.time())
            withdrawn = any(isinstance(x, Withdraw) and x.leg == leg.slot for x in actions)
            if leg.menu != menu:  # same audio, another grammar or free-form
                leg.menu, leg.speaking = menu, False
                if leg.listener is not None and not withdrawn:
                    await leg.listener.switch(menu)
            if withdrawn:
                await self._withdraw(leg)
            self.act(actions)
            return
        if leg is not None:
            await self.stop(call_id, role)
        leg = HeardLeg(
            call_id, role, lang, menu, deliver, Leg(call_id, role, next(self._seq)), channel
        )
        self.legs[key] = leg
        self.texts.setdefault(call_id, CallText())
        actions = self.admission.request(leg.slot, kind, standing, time.time())
        self.act([x for x in actions if x.leg != leg.slot])
        if not any(isinstance(x, Admit) for x in actions if x.leg == leg.slot):
            leg.waiting = True  # no tap, no port: heard when a slot frees
            log.info("speech.leg_waiting", call=call_id, role=role, kind=kind)
            return
        try:
            await self._tap(leg)
        except BaseException:
            if self.legs.get(key) is leg:
                del self.legs[key]
            self.act(self.admission.release(leg.slot, time.time()))
            raise

    async def stop(self, call_id: str, role: str) -> None:
        leg = self.legs.pop((call_id, role), None)
        if leg is not None:
            await self._drop(leg)

    async def emotion(self, call: Any, action: a.ShowEmotion) -> None:
        self.feed.publish(
            self.feed.transcripts_channel(action.call_id), messages.emotion_message(action)
        )
        if self.live is not None:
            await self.live(call)
        if not action.alert:
            return
        self.feed.publish(self.feed.emotion_channel, messages.alert(action))
        if action.agent_id:
            self.feed.publish(self.feed.agent_channel(action.agent_id), messages.hint(action))
        if action.customer_id:
            self._to_profile(messages.emotion_envelope(action))
        # an agitated caller may be heard sooner (the call's waiting legs move up)
        self.act(self.admission.restand(action.call_id, standing_of(call), time.time()))

    async def finish(self, call_id: str, customer_id: str | None, at: float) -> None:
        text = self.texts.pop(call_id, CallText())
        said = messages.conversation(text.segments)
        if customer_id and said:
            self._to_profile(
                messages.transcript_envelope(call_id, customer_id, at, said, text.complaints)
            )

    async def answer(self, action: a.RecordAnswer) -> None:
        """The caller's answer to "did you mean...?", with the transcript (live and stored)."""
        row = messages.answer_segment(action)
        self.feed.publish(self.feed.transcripts_channel(action.call_id), row)
        self.feed.store_final(row)

    def forget(self, call_id: str) -> None:
        """The call's runner is gone: tear down what it left (crash, engine stop)."""
        self.texts.pop(call_id, None)
        for key in [k for k in self.legs if k[0] == call_id]:
            self._spawn(self._drop(self.legs.pop(key)))

    # -- results from the recognisers (event loop) ----------------------------------
    def _transcript(self, leg: HeardLeg, t: Transcript) -> None:
        if t.kind == "analysis":  # the emotion evidence of the menu final just decided on
            self._complete(leg, t)
            return
        clock = leg.listener.clock if leg.listener and leg.listener.clock else 0.0
        if t.menu is not None:
            if t.kind == "partial" and not leg.speaking:
                leg.speaking = True
                leg.deliver(e.SpeechStarted(t.menu))
            elif t.kind == "final":
                leg.speaking = False
                leg.deliver(menu_event(t.menu, t))
                self._decided(leg, t, clock)
        segment = messages.segment(leg.call_id, t, clock + t.start)
        self.feed.publish(self.feed.transcripts_channel(leg.call_id), segment)
        leg.last_final = None
        if t.kind == "final" and (t.text or t.menu):
            leg.last_final = segment
            text = self.texts.get(leg.call_id)
            if text is not None:  # (None: a straggler after the call was forgotten)
                text.segments.append(segment)
            if t.pending:  # stored with its evidence, which follows (``_complete``)
                leg.pending_final = segment
            else:
                self.feed.store_final(segment)
                self._complaints(leg, t)

    def _complete(self, leg: HeardLeg, t: Transcript) -> None:
        """The evidence of the final before it: that final is stored now (``_emotion``,
        in the same callback round, adds its score to the row first)."""
        segment, leg.pending_final = leg.pending_final, None
        leg.last_final = segment
        if segment is not None:
            self.feed.store_final(segment)
        self._complaints(leg, t)

    def _complaints(self, leg: HeardLeg, t: Transcript) -> None:
        text = self.texts.get(leg.call_id)
        if text is not None:
            analysis = getattr(t.analysis, "text", None)
            text.complaints += list(getattr(analysis, "complaints", ()))

    def _decided(self, leg: HeardLeg, t: Transcript, clock: float) -> None:
        """A menu decision reached the call: how long after the caller stopped speaking
        (the recogniser's end-of-speech mark, in wall time through the leg's clock), and of
        that, how long until the recogniser made its final (the rest: the way back)."""
        self.decided += 1
        if t.speech_end is None or not clock:
            return
        now = time.time()
        latency = now - (clock + t.speech_end)
        self.decisions.append(latency)
        in_recognizer = None if t.made_at is None else t.made_at - (clock + t.speech_end)
        if in_recognizer is not None:
            self.recognizer_parts.append(in_recognizer)
        log.info(
            "speech.menu_decided",
            call=leg.call_id,
            menu=t.menu,
            intent=t.intent,
            after_speech_ms=round(latency * 1000, 1),
            in_recognizer_ms=None if in_recognizer is None else round(in_recognizer * 1000, 1),
        )

    def decision_stats(self) -> dict[str, Any]:
        """For /status: menu decisions and end of speech -> decision (recent ones) in ms;
        ``recognizer_p50_ms``: the part until the recogniser's final was made."""
        recent = sorted(self.decisions)
        if not recent:
            return {"decided": self.decided, "timed": 0}
        parts = sorted(self.recognizer_parts)
        return {
            "decided": self.decided,
            "timed": len(recent),
            "p50_ms": _ms(statistics.median(recent)),
            "p99_ms": _ms(recent[min(len(recent) - 1, int(0.99 * len(recent)))]),
            "max_ms": _ms(recent[-1]),
            **({"recognizer_p50_ms": _ms(statistics.median(parts))} if parts else {}),
        }

    def _emotion(
        self, leg: HeardLeg, t: Transcript, score: EmotionScore, event: EmotionEvent | None
    ) -> None:
        if leg.last_final is not None:  # the final just stored (same callback round)
            leg.last_final["emotion_score"] = round(score.score, 3)
            leg.last_final["emotion_label"] = score.label
        clock = leg.listener.clock if leg.listener and leg.listener.clock else 0.0
        leg.deliver(
            e.EmotionObserved(
                score.score,
                score.label,
                score.rolling,
                clock + t.end,
                rise=event is not None,
                previous=event.previous if event else 0.0,
                reasons=score.reasons,
            )
        )

    # -- admission and taps -----------------------------------------------------------
    async def _tap(self, leg: HeardLeg) -> None:
        """Open the leg's media port, recognition and ARI tap; a failure closes them."""
        tap_id = f"{leg.call_id}-hear-{leg.role}-{leg.slot.n}"
        leg.listener = await LegListener.open(
            self.media,
            self.speech,
            tap_id,
            role="agent" if leg.role == "agent" else "caller",
            lang=leg.lang,
            menu=leg.menu,
            on_transcript=functools.partial(self._transcript, leg),
            on_emotion=functools.partial(self._emotion, leg) if leg.role == "caller" else None,
        )
        try:
            leg.tap = await self.taps.open(
                tap_id, leg.channel, leg.listener.external_host, f"media,{leg.call_id},{leg.role}"
            )
        except BaseException:
            await asyncio.shield(leg.listener.stop())
            leg.listener = None
            raise

    def act(self, actions: list[Action]) -> None:
        """Admissions of waiting legs (a slot freed): tapped now, off the caller's path."""
        for action in actions:
            leg = self.legs.get((action.leg.call_id, action.leg.role))
            if not isinstance(action, Admit) or leg is None or leg.slot != action.leg:
                continue
            if leg.waiting:
                leg.waiting, leg.opening = False, True
                log.info(
                    "speech.leg_admitted",
                    call=leg.call_id,
                    role=leg.role,
                    kind=action.kind,
                    rule=action.rule,
                    waited=round(action.waited, 3),
                )
                self._spawn(self._tap_admitted(leg))

    async def _tap_admitted(self, leg: HeardLeg) -> None:
        key = (leg.call_id, leg.role)
        try:
            if self.tap_settle:
                await asyncio.sleep(self.tap_settle)
            if self.legs.get(key) is leg and not leg.waiting:  # not stopped nor withdrawn
                await self._tap(leg)
        except Exception as exc:
            stopped = self.legs.get(key) is not leg
            if stopped or isinstance(exc, AriNotFound):
                # the call ended while it waited or while its tap opened (its channel is
                # gone: 404): nothing failed, the leg's StopListening is on its way
                log.debug("speech.admitted_leg_gone", call=leg.call_id, role=leg.role)
            else:
                log.warning(
                    "speech.admitted_tap_failed", call=leg.call_id, role=leg.role, error=repr(exc)
                )
            if not stopped:
                del self.legs[key]
                if not isinstance(exc, AriNotFound):
                    leg.deliver(e.ListenFailed(leg.role, type(exc).__name__))
            self.act(self.admission.release(leg.slot, time.time()))
            return
        finally:
            leg.opening = False
        if self.legs.get(key) is not leg:  # stopped while its tap was opening
            await self._drop(leg)
        elif leg.waiting:  # withdrawn (left its menu over the budget) while it opened
            await self._withdraw(leg)

    async def _withdraw(self, leg: HeardLeg) -> None:
        """The leg left its menu over the budget: its tap and session come down (its last
        final is heard), it waits untapped for a slot as a caller."""
        leg.waiting = True
        if leg.opening:  # its opener sees it waiting and drops what it opened
            return
        try:
            await self._close(leg)
        finally:
            leg.tap, leg.listener = None, None
        log.info("speech.leg_withdrawn", call=leg.call_id, role=leg.role)

    async def _drop(self, leg: HeardLeg) -> None:
        """Stop hearing ``leg`` (already out of ``legs``); its slot goes to a waiting leg
        once its tap is down. A tap still opening is dropped by its opener."""
        if leg.opening:
            return
        try:
            await self._close(leg)
        finally:
            # on the next turn of the loop: a call that ends stops all its legs in a row,
            # so its own waiting legs leave the queue before the slot is handed on
            asyncio.get_running_loop().call_soon(self._release, leg.slot)

    def _release(self, slot: Leg) -> None:
        self.act(self.admission.release(slot, time.time()))

    # -- plumbing -------------------------------------------------------------------
    async def _close(self, leg: HeardLeg) -> None:
        if leg.tap is not None:
            await self.taps.close(leg.tap)  # no more audio
        if leg.listener is not None:
            await leg.listener.stop()  # the last final arrives before this returns
        if leg.pending_final is not None:  # its evidence never came (process restarted)
            self.feed.store_final(leg.pending_final)
            leg.pending_final = None

    def _to_profile(self, envelope: dict[str, Any]) -> None:
        self._spawn(self._call_hook(envelope))

    async def _call_hook(self, envelope: dict[str, Any]) -> None:
        try:
            result = self.on_customer_event(envelope)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("speech.customer_event_failed", event_id=envelope.get("id"))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self, timeout: float = 5.0) -> None:
        """Engine stop: stop hearing every leg (their taps hung up), wait for hooks."""
        legs, self.legs = list(self.legs.values()), {}
        for leg in legs:
            self.admission.release(leg.slot, time.time())  # nothing admitted: stopping
            if not leg.opening:
                self._spawn(self._close(leg))
        if self._background:
            await asyncio.wait(set(self._background), timeout=timeout)


def menu_event(menu: str, t: Transcript) -> e.CallEvent:
    """A menu final as the call sees it: an intent, one to confirm, a yes, or no match."""
    if t.intent:
        return e.SpeechIntent(menu, t.intent)
    if t.confirm:
        return e.SpeechConfirm(menu, t.confirm)
    if t.affirm:
        return e.SpeechYes(menu)
    return e.SpeechNoMatch(menu)
