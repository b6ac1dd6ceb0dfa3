"""Carrying out a call's speech actions (``Listen``, ``StopListening``, ``ShowEmotion``,
``FinishTranscript``, ``RecordAnswer``) on a ``Listening``: shared by the inbound call
runner and the dialer's connected calls, so both are heard, scored and recorded the same
way."""

from __future__ import annotations

from typing import Any

from engine.calls import actions as a
from engine.calls import events as e
from engine.calls.ports import Deliver, Listening
from engine.logs import get_logger

log = get_logger(__name__)
SPEECH_ACTIONS = (a.Listen, a.StopListening, a.ShowEmotion, a.FinishTranscript, a.RecordAnswer)
TALK_LISTEN_ATTEMPTS = 2  # a talk's failed start is cleaned up and tried once more


async def perform(listening: Listening, call: Any, action: a.CallAction, deliver: Deliver) -> None:
    """Carry out one speech action of ``call``; what the speech side hears comes back to
    ``deliver`` (a listener that cannot start comes back as ``ListenFailed``)."""
    match action:
        case a.Listen(role, channel, lang, menu):
            await _listen(listening, call, role, channel, lang, menu, deliver)
        case a.StopListening(role):
            await listening.stop(call.call_id, role)
        case a.ShowEmotion():
            await listening.emotion(call, action)
        case a.FinishTranscript(call_id, customer_id, at):
            await listening.finish(call_id, customer_id, at)
        case a.RecordAnswer():
            await listening.answer(action)


async def hear(
    listening: Listening, call: Any, event: e.CallEvent, now: float, deliver: Deliver
) -> None:
    """Feed a speech event to a call bridged outside the inbound runner (the dialer's, an
    adopted one) and carry out the speech actions its state decides."""
    for action in call.handle(event, now):
        if isinstance(action, SPEECH_ACTIONS):
            await perform(listening, call, action, deliver)


async def _listen(
    listening: Listening,
    call: Any,
    role: str,
    channel: str,
    lang: str,
    menu: str | None,
    deliver: Deliver,
) -> None:
    """Start hearing a leg. A talk (no menu) that fails to start (a tap bridge gone under
    it, Asterisk slow to answer) is tried once more, since it has no other way to be heard;
    in a menu the caller is better served by keys at once than by a second wait."""
    call_id = call.call_id
    attempts = 1 if menu is not None else TALK_LISTEN_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            await listening.listen(call_id, role, channel, lang, menu, deliver, call)
            return
        except Exception as exc:
            if attempt < attempts:
                log.info("call.listen_retry", call=call_id, role=role, error=repr(exc))
                continue
            log.warning(
                "call.listen_failed", call=call_id, role=role, error=repr(exc), attempts=attempt
            )
            deliver(e.ListenFailed(role, type(exc).__name__))
