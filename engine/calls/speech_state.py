"""The speech side of an inbound call's state: pure transitions mixed into ``InboundCall``.

Which legs are heard and how is decided here, as actions:
- IVR: each menu with a grammar in the call's language is heard (``Listen(caller, menu)``)
  while its prompt plays; the caller's first partial stops the prompt (barge-in); an
  intent routes like the key of the same option; an unsure one is asked about first
  (the language's confirmation media, then key 1 or a spoken yes routes; without such
  media it is a no-match); two no-matches leave the menu to keys (``StopListening``).
  The language is the one chosen in the IVR, else the profile's,
  else the first language with a model. A failed listener leaves the IVR to keys.
- Connected: caller and agent legs are transcribed free-form in the call's language.
- Emotion: each caller utterance's score goes to the live state; a sharp rise is
  numbered (``ShowEmotion.alert``) so the adapter hints, alerts and records it once.
- End: every leg stops being heard; a transcribed call's transcript goes to the profile.
- A connected call bridged elsewhere (the dialer's, one adopted after a restart) is heard
  on ``HearTalk`` and finished on ``TalkOver``, the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.calls import actions as a
from engine.calls import events as e

if TYPE_CHECKING:
    from engine.calls.ports import Caller, Offer, SpeechPlan
    from engine.ivr.menu import Confirm, ConfirmAnswer, IvrSession, PlayMenu, Route

Hearing = tuple[str, str | None]  # (language, menu or None for free-form)


class SpeechTransitions:
    # Provided by InboundCall:
    call_id: str
    status: str
    ivr: IvrSession | None
    caller: Caller | None
    caller_channel: str
    agent_channel: str | None
    offer: Offer | None
    playback: str | None
    record: dict[str, Any]
    speech: SpeechPlan | None
    listening: dict[str, Hearing]
    speech_failed: bool

    _seq: int

    def _step(self, step: PlayMenu | Route | Confirm, now: float) -> list[a.CallAction]:
        raise NotImplementedError

    def _ask_confirmation(self, step: Confirm, now: float) -> list[a.CallAction]:
        """Play "did you mean...?" while the menu is still heard (a yes, or the intent
        said again clearly); the digit timer starts when it has played."""
        lang = self.listening.get("caller", ("", None))[0]
        media = self.speech.confirm_media(lang, step.menu, step.intent) if self.speech else None
        assert self.ivr is not None
        if not media:  # nothing to ask with: an unsure match is a no-match
            self.ivr.confirming = None
            self.ivr.path[-1] = f"{step.menu}:confirm:{step.intent}:unasked"
            return self._step(self.ivr.on_no_match(), now)
        self.status = "ivr"
        self._seq += 1
        self.playback = f"{self.call_id}-p{self._seq}"
        return [a.Play(self.caller_channel, self.playback, media, lang)]

    def _answer_note(self, answer: ConfirmAnswer, led_to: str, now: float) -> a.RecordAnswer:
        """The caller's answer to a confirmation and where it led (``queue:billing``,
        ``menu:main``), in the language the question was heard in."""
        lang = self.listening.get("caller", (self._known_language(), None))[0]
        return a.RecordAnswer(
            self.call_id,
            lang,
            answer.menu,
            answer.intent,
            "yes" if answer.yes else "no",
            answer.how,
            led_to,
            now,
        )

    # -- deciding what to hear ----------------------------------------------------
    def _known_language(self) -> str | None:
        chosen = self.ivr.language if self.ivr is not None else None
        return chosen or (self.caller.language if self.caller else None)

    def _hear_menu(self, menu: str) -> list[a.CallAction]:
        lang = None
        if (
            self.speech is not None
            and not self.speech_failed
            and self.ivr is not None
            and self.ivr.speech_allowed(menu)
        ):
            lang = self.speech.menu_language(menu, self._known_language())
        if lang is None:
            return self._stop_hearing("caller")
        return self._hear("caller", self.caller_channel, lang, menu)

    def _hear_talk(self) -> list[a.CallAction]:
        if self.speech is None or self.agent_channel is None:
            return []
        lang = self.speech.talk_language(self.record.get("language"))
        if lang is None:
            return []
        self.record["transcribed"] = True
        return self._hear("caller", self.caller_channel, lang, None) + self._hear(
            "agent", self.agent_channel, lang, None
        )

    def _hear(
        self,
        role: str,
        channel: str,
        lang: str,
        menu: str | None,
    ) -> list[a.CallAction]:
        if self.listening.get(role) == (lang, menu):
            return []
        self.listening[role] = (lang, menu)
        return [a.Listen(role, channel, lang, menu)]

    def _stop_hearing(self, *roles: str) -> list[a.CallAction]:
        return [
            a.StopListening(role) for role in roles if self.listening.pop(role, None) is not None
        ]

    def _finish_speech(self, now: float) -> list[a.CallAction]:
        out = self._stop_hearing("caller", "agent")
        if self.record.get("transcribed"):
            customer = self.caller.customer_id if self.caller else None
            out.append(a.FinishTranscript(self.call_id, customer, now))
        return out

    # -- speech events ------------------------------------------------------------
    def _in_menu(self, menu: str) -> bool:
        return (
            self.status == "ivr"
            and self.ivr is not None
            and self.ivr.menu is not None
            and self.ivr.menu.name == menu
            and self.listening.get("caller", ("", None))[1] == menu
        )

    def _interrupt(self) -> list[a.CallAction]:
        out: list[a.CallAction] = [a.CancelTimer("digit")]
        if self.playback is not None:  # barge-in: the caller talks over the prompt
            out.append(a.StopPlayback(self.playback))
            self.playback = None
            self.record["barge_in"] = self.record.get("barge_in", 0) + 1
        return out

    def _speech_started(self, ev: e.SpeechStarted, now: float) -> list[a.CallAction]:
        if not self._in_menu(ev.menu):
            return []
        assert self.ivr is not None and self.ivr.menu is not None
        # the caller gets the menu's timeout to finish; the result normally comes first
        return [*self._interrupt(), a.StartTimer("digit", self.ivr.menu.timeout)]

    def _speech_intent(self, ev: e.SpeechIntent, now: float) -> list[a.CallAction]:
        if not self._in_menu(ev.menu):
            return []
        assert self.ivr is not None
        return self._interrupt() + self._step(self.ivr.on_intent(ev.intent), now)

    def _speech_confirm(self, ev: e.SpeechConfirm, now: float) -> list[a.CallAction]:
        if not self._in_menu(ev.menu):
            return []
        assert self.ivr is not None
        return self._interrupt() + self._step(self.ivr.on_confirm(ev.intent), now)

    def _speech_yes(self, ev: e.SpeechYes, now: float) -> list[a.CallAction]:
        if not self._in_menu(ev.menu):
            return []
        assert self.ivr is not None
        return self._interrupt() + self._step(self.ivr.on_yes(), now)

    def _speech_no_match(self, ev: e.SpeechNoMatch, now: float) -> list[a.CallAction]:
        if not self._in_menu(ev.menu):
            return []
        assert self.ivr is not None
        return self._interrupt() + self._step(self.ivr.on_no_match(), now)

    def _listen_failed(self, ev: e.ListenFailed, now: float) -> list[a.CallAction]:
        hearing = self.listening.pop(ev.role, None)
        self.record["speech_error"] = ev.reason or f"could not hear the {ev.role}"
        if hearing is not None and hearing[1] is not None:
            self.speech_failed = True  # the IVR goes on with keys
        return []

    def _emotion(self, ev: e.EmotionObserved, now: float) -> list[a.CallAction]:
        self.record["emotion"] = {
            "score": round(ev.score, 3),
            "label": ev.label,
            "rolling": round(ev.rolling, 3),
        }
        alert = 0
        if ev.rise:
            alert = self.record["emotion_alerts"] = self.record.get("emotion_alerts", 0) + 1
        agent = self.offer.agent_id if self.status == "connected" and self.offer else None
        customer = self.caller.customer_id if self.caller else None
        return [
            a.ShowEmotion(
                self.call_id,
                ev.score,
                ev.label,
                ev.rolling,
                ev.at,
                agent,
                customer,
                alert,
                ev.previous,
                ev.reasons,
            )
        ]

    def _hear_connected(self, ev: e.HearTalk, now: float) -> list[a.CallAction]:
        return self._hear_talk() if self.status == "connected" else []

    def _talk_over(self, ev: e.TalkOver, now: float) -> list[a.CallAction]:
        return self._finish_speech(now)


HANDLERS = {
    e.SpeechStarted: SpeechTransitions._speech_started,
    e.SpeechIntent: SpeechTransitions._speech_intent,
    e.SpeechNoMatch: SpeechTransitions._speech_no_match,
    e.SpeechConfirm: SpeechTransitions._speech_confirm,
    e.SpeechYes: SpeechTransitions._speech_yes,
    e.ListenFailed: SpeechTransitions._listen_failed,
    e.EmotionObserved: SpeechTransitions._emotion,
    e.HearTalk: SpeechTransitions._hear_connected,
    e.TalkOver: SpeechTransitions._talk_over,
}
