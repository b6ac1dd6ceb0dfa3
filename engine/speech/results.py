"""What recognition hands back to the call path: transcripts with timestamps."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["partial", "final", "analysis"]
Role = Literal["caller", "agent"]
_CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff\uf900-\ufaff]) +(?=[\u3000-\u9fff\uf900-\ufaff])")


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True)
class Transcript:
    """One partial or final result of a leg.

    ``start``/``end`` are seconds from the first audio of the leg (wall clock:
    ``started_at + start``). ``intent`` is set in menu (grammar) mode: the accepted
    intent, or ``None``; ``confirm`` the intent to confirm with the caller when the
    match is unsure ("您是要查询账单吗？"), ``confidence`` the best match's (0-1); ``affirm``
    that the final is a yes word of the language (the answer to such a question). An empty
    final never has an intent. ``analysis`` carries the emotion inputs
    computed in the worker for caller finals (``emotion.UtteranceAnalysis``). A menu final
    routes the call, so it is handed back before its evidence is computed (``pending``);
    the evidence follows as a copy of it with ``kind`` "analysis" (not a new utterance).
    """

    leg_id: str
    role: Role
    lang: str
    kind: Kind
    text: str
    start: float
    end: float
    started_at: float
    words: tuple[Word, ...] = ()
    menu: str | None = None
    intent: str | None = None
    confirm: str | None = None
    confidence: float | None = None
    affirm: bool = False
    speech_end: float | None = None
    analysis: Any = field(default=None, compare=False)
    # wall time the recognizer made a menu final (end of speech -> decision, split in two)
    made_at: float | None = field(default=None, compare=False)
    # a menu final whose emotion evidence follows as kind "analysis" (the decision first)
    pending: bool = False

    @property
    def no_match(self) -> bool:
        return self.menu is not None and self.kind == "final" and self.intent is None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["analysis"] = getattr(self.analysis, "as_dict", lambda: None)()
        return data


def normalise(text: str) -> str:
    """Vosk separates every word by a space; Chinese is written without them."""
    return _CJK_GAP.sub("", re.sub(r"\s+", " ", text.strip()))


CONFIDENT, SURE, SURE_SHARE = 0.6, 0.75, 0.5


def confident_text(words: tuple[Word, ...]) -> str:
    """The words recognised with ``conf`` >= 0.6, for text negativity; nothing when fewer
    than half of the words reach 0.75: speech in another language misheard as the
    model's (issue 16: foreign speech read as 骗子 raised calm clips to 0.75; espeak
    English, German and French through the Mandarin model: 0-44% of words reach 0.75)."""
    if not words:
        return ""
    if sum(w.conf >= SURE for w in words) < SURE_SHARE * len(words):
        return ""
    return normalise(" ".join(w.word for w in words if w.conf >= CONFIDENT))
