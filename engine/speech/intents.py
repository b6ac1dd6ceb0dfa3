"""Which intent a recognised text names, and how sure that is (issue 16). Pure.

Text and phrases are compared as sequences of units: pinyin syllables without tones for
Chinese (``pypinyin``: 账单 -> zhang dan), lower-case words otherwise. Each phrase is
aligned against the best-fitting stretch of what was said (extra words around it are
free, words missing inside or added inside cost one unit each, a different syllable costs
less the closer it sounds: zh/z, n/l, in/ing... count as near), giving a similarity in
[0, 1]. The intent's confidence is that of its best phrase; the outcome:

- ``accept``: confidence >= ``ACCEPT`` and ahead of the next intent by ``MARGIN`` (a
  second intent nearly as plausible means: ask);
- ``confirm``: confidence >= ``CONFIRM`` otherwise: ask "did you mean...?";
- ``no-match``: anything else, and always for an empty text.

A phrase of one unit (a single syllable or word) is only ever accepted when said exactly.

A menu leg hears the caller twice (``engine.speech.recognizer``): through the menu's
grammar with ``[unk]`` and through the grammar with a background vocabulary of common
words instead of ``[unk]``. ``combine`` decides from both: an intent one pass accepts is
accepted unless the other pass names another intent (then: ask); otherwise what either
pass would confirm is to be confirmed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Outcome = Literal["accept", "confirm", "no-match"]
WORD = "#"  # marks a unit that is a word, not a pinyin syllable
ACCEPT, CONFIRM, MARGIN = 0.8, 0.6, 0.3
READINGS = 2  # at most this many readings of one character
_RUNS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[a-z0-9']+")
_INITIALS = ("zh", "ch", "sh", *"bpmfdtnlgkhjqxrzcs")
_SPELT = {"iu": "iou", "ui": "uei", "un": "uen"}  # pinyin's short spellings of finals
_NEAR_INITIAL = {"zh": "z", "ch": "c", "sh": "s", "n": "l", "f": "h", "r": "l"}
_NEAR_FINAL = {"ing": "in", "eng": "en", "ang": "an", "iang": "ian", "uang": "uan"}


@dataclass(frozen=True)
class IntentMatch:
    intent: str | None
    confidence: float
    outcome: Outcome
    phrase: str = ""  # the phrase that matched best


NO_MATCH = IntentMatch(None, 0.0, "no-match")


@lru_cache(maxsize=4096)
def units(text: str) -> tuple[str, ...]:
    """Pinyin syllables (toneless) for CJK characters, lower-case words for the rest."""

    text = unicodedata.normalize("NFKC", text).lower().replace("[unk]", " ")
    out: list[str] = []
    for run in _RUNS.findall(text):
        if "\u3400" <= run[0] <= "\u9fff" or "\uf900" <= run[0] <= "\ufaff":
            out += _pinyin(run)
        else:
            out.append(WORD + run)
    return tuple(out)


def _pinyin(run: str) -> list[str]:
    """Toneless syllables of a CJK run; a character read several ways gives them all,
    the likeliest first, joined by "/" (了: "le/liao", so 上不了网 also matches a heard
    "shang bu yao wang" by its final). pypinyin (and its 55 MB phrase dictionary) is
    imported here, on the first Chinese text judged: with speech off it never loads."""
    from pypinyin import Style, pinyin

    out = []
    for readings in pinyin(run, style=Style.NORMAL, heteronym=True, errors="ignore"):
        unique = list(dict.fromkeys(r for r in readings if r))[:READINGS]
        if unique:
            out.append("/".join(unique))
    return out


@lru_cache(maxsize=4096)
def _split(syllable: str) -> tuple[str, str]:
    """Initial and final as spoken: y/w are spelling, not sounds (yao = iao as in liao,
    wang = uang as in guang, yu = ü as in ju), short spellings written out (gui = guei)."""
    head, rest = syllable[:1], syllable[1:]
    if head == "y" and rest:
        return "", "v" + rest[1:] if rest[0] == "u" else rest if rest[0] == "i" else "i" + rest
    if head == "w" and rest:
        return "", rest if rest[0] == "u" else "u" + rest
    for ini in _INITIALS:
        if syllable.startswith(ini) and len(syllable) > len(ini):
            final = syllable[len(ini) :]
            if ini in "jqx" and final[0] == "u":
                final = "v" + final[1:]
            return ini, _SPELT.get(final, final)
    return "", syllable


@lru_cache(maxsize=65536)
def similarity(a: str, b: str) -> float:
    """1 for the same unit, 0.75 for a near-homophone, 0.4 when only one half matches;
    for a character with several readings, its best."""
    if a == b:
        return 1.0
    if a.startswith(WORD) or b.startswith(WORD):
        return 0.0  # words of an alphabetic language: the same or not
    if "/" in a or "/" in b:
        return max(_similar(x, y) for x in a.split("/") for y in b.split("/"))
    return _similar(a, b)


def _similar(a: str, b: str) -> float:
    if a == b:
        return 1.0
    (ia, fa), (ib, fb) = _split(a), _split(b)
    same_i = ia == ib or _NEAR_INITIAL.get(ia, ia) == _NEAR_INITIAL.get(ib, ib)
    same_f = fa == fb or _NEAR_FINAL.get(fa, fa) == _NEAR_FINAL.get(fb, fb)
    if same_i and same_f:
        return 0.75
    return 0.4 if fa == fb or (ia == ib and ia) else 0.0


def phrase_score(phrase: tuple[str, ...], said: tuple[str, ...]) -> float:
    """Similarity of ``phrase`` to its best-fitting stretch of ``said`` (semi-global
    alignment: free before and after, unit cost for a gap, 1 - similarity to substitute)."""
    m = len(phrase)
    if not m or not said:
        return 0.0
    prev = [float(i) for i in range(m + 1)]  # column before any said unit: all deleted
    best = prev[m]
    for s in said:
        cur = [0.0] * (m + 1)  # the phrase may start anywhere in what was said
        for i in range(1, m + 1):
            cur[i] = min(
                prev[i - 1] + 1.0 - similarity(phrase[i - 1], s),
                prev[i] + 1.0,  # an extra unit said inside the phrase
                cur[i - 1] + 1.0,  # a unit of the phrase not said
            )
        best = min(best, cur[m])
        prev = cur
    return max(0.0, 1.0 - best / m)


def judge(text: str, intents: dict[str, tuple[str, ...]]) -> IntentMatch:
    """The outcome of ``text`` against ``intents`` (intent -> phrases)."""
    said = units(text)
    if not said:
        return NO_MATCH
    scored: list[tuple[float, str, str]] = []
    for intent, phrases in intents.items():
        best = max(
            ((_capped(units(p), said), p) for p in phrases), key=lambda sp: sp[0], default=None
        )
        if best is not None:
            scored.append((best[0], intent, best[1]))
    if not scored:
        return NO_MATCH
    scored.sort(key=lambda s: -s[0])
    confidence, intent, phrase = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    confidence = round(confidence, 3)
    if confidence >= ACCEPT and confidence - runner_up >= MARGIN:
        return IntentMatch(intent, confidence, "accept", phrase)
    if confidence >= CONFIRM:
        return IntentMatch(intent, confidence, "confirm", phrase)
    return IntentMatch(None, confidence, "no-match")


def _capped(phrase: tuple[str, ...], said: tuple[str, ...]) -> float:
    """A one-unit phrase said other than exactly stays below ``CONFIRM``."""
    score = phrase_score(phrase, said)
    return score if len(phrase) > 1 or score == 1.0 else min(score, CONFIRM - 0.01)


def combine(first: IntentMatch, second: IntentMatch) -> IntentMatch:
    """One outcome from two passes over the same speech (``first`` preferred on a tie).

    Accepted: an intent one pass accepts while the other names no other intent (it says
    nothing, or the same). Two passes accepting different intents, or a pass accepting
    while the other would confirm another: ``confirm`` of the first's. Otherwise a
    ``confirm`` of either, else no match."""
    for one, other in ((first, second), (second, first)):
        if one.outcome == "accept" and (other.intent is None or other.intent == one.intent):
            return one
    for one in (first, second):
        if one.outcome in ("accept", "confirm") and one.intent is not None:
            confidence = min(one.confidence, ACCEPT - 0.01)
            return IntentMatch(one.intent, round(confidence, 3), "confirm", one.phrase)
    return first if first.confidence >= second.confidence else second
