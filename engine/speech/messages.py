"""What live speech sends out, as plain dicts. Pure: no I/O.

- ``segment``: one partial or final of a leg, published on ``<prefix>:transcripts:<call>``
  (``type: transcript``) and, for finals, stored (``engine/speech/store.py``);
- ``answer_segment``: the caller's answer to a confirmation, published and stored alike;
- ``emotion_message``: a caller utterance's score (``type: emotion``), on the same channel;
- ``alert``: a sharp rise for the supervisor (``<prefix>:events:emotion``) and, as
  ``type: hint``, for the agent's desk (``<prefix>:agent:<id>``);
- ``emotion_envelope`` / ``transcript_envelope``: profile events for the customer
  (``call.emotion`` per sharp rise, ``call.transcript`` at the end of the call).
"""

from __future__ import annotations

from typing import Any

from engine.calls.actions import RecordAnswer, ShowEmotion
from engine.speech.results import Transcript

MAX_TEXT = 20000  # the profile store's limit for a text field


def segment(call_id: str, t: Transcript, at: float) -> dict[str, Any]:
    """``at``: epoch seconds the segment began (the leg's clock start + ``t.start``)."""
    return {
        "type": "transcript",
        "call_id": call_id,
        "role": t.role,
        "kind": t.kind,
        "lang": t.lang,
        "text": t.text,
        "at": round(at, 3),
        "start": t.start,
        "end": t.end,
        "menu": t.menu,
        "intent": t.intent,
        "confirm": t.confirm,
        "confidence": t.confidence,
        "words": [
            {"word": w.word, "start": w.start, "end": w.end, "conf": round(w.conf, 3)}
            for w in t.words
        ],
    }


def answer_segment(action: RecordAnswer) -> dict[str, Any]:
    """The caller's answer to "did you mean...?" as a transcript row (``kind: answer``):
    the intent asked about (``confirm``), routed on a yes (``intent``), the ``answer``,
    how it was given (``answered_by``: key:1, say:yes, say:no, timeout) and where it
    ``led_to`` (queue:<name>, menu:<name>). A spoken answer's words are the final before."""
    yes = action.answer == "yes"
    return {
        "type": "transcript",
        "call_id": action.call_id,
        "role": "caller",
        "kind": "answer",
        "lang": action.lang,
        "text": None,
        "at": round(action.at, 3),
        "menu": action.menu,
        "intent": action.intent if yes else None,
        "confirm": action.intent,
        "answer": action.answer,
        "answered_by": action.by,
        "led_to": action.led_to,
        "words": [],
    }


def emotion_message(action: ShowEmotion) -> dict[str, Any]:
    return {
        "type": "emotion",
        "call_id": action.call_id,
        "score": round(action.score, 3),
        "label": action.label,
        "rolling": round(action.rolling, 3),
        "at": round(action.at, 3),
        "sharp_rise": action.alert > 0,
    }


def alert(action: ShowEmotion) -> dict[str, Any]:
    return {
        "type": "emotion-alert",
        "call_id": action.call_id,
        "agent_id": action.agent_id,
        "customer_id": action.customer_id,
        "score": round(action.score, 3),
        "previous": round(action.previous, 3),
        "label": action.label,
        "reasons": list(action.reasons),
        "at": round(action.at, 3),
        "n": action.alert,
    }


def hint(action: ShowEmotion) -> dict[str, Any]:
    why = "; ".join(action.reasons) or "the caller's voice changed"
    return {
        "type": "hint",
        "kind": "emotion",
        "call_id": action.call_id,
        "label": action.label,
        "score": round(action.score, 3),
        "text": f"The caller sounds {action.label} ({why}). Acknowledge the problem "
        f"and say what you will do next.",
        "reasons": list(action.reasons),
    }


def emotion_envelope(action: ShowEmotion) -> dict[str, Any]:
    return {
        "id": f"emotion-{action.call_id}-{action.alert}",
        "type": "call.emotion",
        "customer_id": action.customer_id,
        "at": action.at,
        "source": "speech",
        "data": {"call_id": action.call_id, "score": round(action.score, 3), "label": action.label},
    }


def conversation(segments: list[dict[str, Any]]) -> str:
    """Finals in order as ``role: text`` lines (the IVR's grammar results left out)."""
    lines = [f"{s['role']}: {s['text']}" for s in segments if s.get("text") and not s.get("menu")]
    return "\n".join(lines)[:MAX_TEXT]


def transcript_envelope(
    call_id: str, customer_id: str, at: float, text: str, complaint_words: list[str]
) -> dict[str, Any]:
    return {
        "id": f"transcript-{call_id}",
        "type": "call.transcript",
        "customer_id": customer_id,
        "at": at,
        "source": "speech",
        "data": {
            "call_id": call_id,
            "text": text,
            "complaint_words": list(dict.fromkeys(complaint_words))[:100],
        },
    }
