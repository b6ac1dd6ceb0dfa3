"""Carrying out a call's speech actions (``Listen``, ``StopListening``, ``ShowEmotion``,
``FinishTranscript``) on a ``Listening``: shared by the inbound call runner and the
dialer's connected calls, so both are heard, scored and recorded the same way."""

from __future__ import annotations

from typing import Any

from engine.calls import actions as a
from engine.calls import events as e
from engine.calls.ports import Deliver, Listening
from engine.logs import get_logger

log = get_logger(__name__)
SPEECH_ACTIONS = (a.Listen, a.StopListening, a.ShowEmotion, a.FinishTranscript)


async def perform(listening: Listening, call: Any, action: a.CallAction,
                  deliver: Deliver) -> None:
    """Carry out one speech action of ``call``; what the speech side hears comes back to
    ``deliver`` (a listener that cannot start comes back as ``ListenFailed``)."""
    match action:
        case a.Listen(role, channel, lang, menu):
            try:
                await listening.listen(call.call_id, role, channel, lang, menu, deliver)
            except Exception as exc:
                log.warning("call.listen_failed", call=call.call_id, role=role,
                            error=repr(exc))
                deliver(e.ListenFailed(role, type(exc).__name__))
        case a.StopListening(role):
            await listening.stop(call.call_id, role)
        case a.ShowEmotion():
            await listening.emotion(call, action)
        case a.FinishTranscript(call_id, customer_id, at):
            await listening.finish(call_id, customer_id, at)


async def hear(listening: Listening, call: Any, event: e.CallEvent, now: float,
               deliver: Deliver) -> None:
    """Feed a speech event to a call bridged outside the inbound runner (the dialer's, an
    adopted one) and carry out the speech actions its state decides."""
    for action in call.handle(event, now):
        if isinstance(action, SPEECH_ACTIONS):
            await perform(listening, call, action, deliver)
