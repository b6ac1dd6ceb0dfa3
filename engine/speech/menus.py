"""Speech menus (``skills/speech-menus.yaml``): phrases -> intents per language and menu.

Each menu gives a Vosk grammar (its phrases - every phrasing a caller may use - cut into
words the model knows, the language's filler words that callers wrap around a phrase -
"I want...", "我要..." - and ``[unk]`` so that anything else is a no-match rather than a
forced guess) and judges a recognised text against the intents by pinyin syllables
(``engine.speech.intents``): accepted, to confirm, or no match. Menu names follow
``skills/ivr.yaml``.
``build`` is the domain builder ``engine.skills.catalogue`` calls after the JSON Schema.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.skills import loader
from engine.skills.loader import Doc, SkillFileError
from engine.speech.intents import IntentMatch, judge

UNK = "[unk]"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\s\u3400-\u9fff\uf900-\ufaff]+")


class MenuError(SkillFileError):
    pass


def canonical(text: str) -> str:
    """Lower case, no spaces or punctuation: how phrases and results are compared."""
    text = unicodedata.normalize("NFKC", text).lower().replace(UNK, "")
    return "".join(ch for ch in text if ch.isalnum())


def segment(phrase: str, known: Callable[[str], bool], longest: int = 6) -> list[str]:
    """Cut a phrase into words the model knows: spaces split, CJK runs by longest match."""
    words: list[str] = []
    for run in _CJK.findall(unicodedata.normalize("NFKC", phrase).lower()):
        if not ("\u3400" <= run[0] <= "\u9fff" or "\uf900" <= run[0] <= "\ufaff"):
            words.append(run)
            continue
        i = 0
        while i < len(run):
            size = next(
                (n for n in range(min(longest, len(run) - i), 1, -1) if known(run[i : i + n])), 1
            )
            words.append(run[i : i + size])
            i += size
    return words


@dataclass(frozen=True)
class SpeechMenu:
    lang: str
    name: str
    intents: dict[str, tuple[str, ...]]
    filler: tuple[str, ...] = ()

    def grammar(self, known: Callable[[str], bool]) -> list[str]:
        phrases = {" ".join(segment(p, known)) for ps in self.intents.values() for p in ps}
        phrases |= {" ".join(segment(w, known)) for w in self.filler}
        return [*sorted(phrases), UNK]

    def unknown_words(self, known: Callable[[str], bool]) -> list[str]:
        return sorted(
            {
                w
                for ps in self.intents.values()
                for p in ps
                for w in segment(p, known)
                if not known(w)
            }
        )

    def judge(self, text: str) -> IntentMatch:
        """Intent, confidence and outcome (accept, confirm, no-match) of a recognised text:
        its pinyin syllables (or words) against every phrase (``engine.speech.intents``)."""
        return judge(text, self.intents)

    def match(self, text: str) -> str | None:
        """The intent of a recognised text when it is accepted (no confirmation needed)."""
        found = self.judge(text)
        return found.intent if found.outcome == "accept" else None


@dataclass(frozen=True)
class SpeechMenus:
    menus: dict[tuple[str, str], SpeechMenu]

    def get(self, lang: str, name: str) -> SpeechMenu:
        try:
            return self.menus[(lang, name)]
        except KeyError:
            have = ", ".join(f"{m}/{lg}" for lg, m in sorted(self.menus)) or "none"
            raise MenuError(
                f"no speech menu {name!r} for language {lang!r} (defined: {have})"
            ) from None


def _phrases(raw: Any, where: str) -> tuple[str, ...]:
    items = [raw] if isinstance(raw, str) else raw
    if (
        not isinstance(items, list)
        or not items
        or not all(isinstance(p, str) and canonical(p) for p in items)
    ):
        raise MenuError(f"{where}: expected a list of phrases")
    return tuple(items)


def _menu(lang: str, name: str, intents: Any, filler: tuple[str, ...], where: str) -> SpeechMenu:
    if not isinstance(intents, dict) or not intents:
        raise MenuError(f"{where}: expected a mapping of intent -> phrases")
    seen: dict[str, str] = {}
    parsed: dict[str, tuple[str, ...]] = {}
    for intent, raw in intents.items():
        parsed[str(intent)] = _phrases(raw, f"{where}.{intent}")
        for phrase in parsed[str(intent)]:
            other = seen.setdefault(canonical(phrase), str(intent))
            if other != str(intent):
                raise MenuError(
                    f"{where}: phrase {phrase!r} is given to both {other!r} and {intent!r}"
                )
    return SpeechMenu(lang, name, parsed, filler)


def parse(data: Any, source: str = "speech-menus.yaml") -> SpeechMenus:
    """``{lang: {filler: [...], menus: {menu: {intent: [phrase...]}}}}``."""
    if not isinstance(data, dict):
        raise MenuError(f"{source}: expected a mapping of language -> menus")
    menus: dict[tuple[str, str], SpeechMenu] = {}
    for lang, section in data.items():
        if not isinstance(section, dict) or not isinstance(section.get("menus"), dict):
            raise MenuError(f"{source}: {lang}: expected a mapping with 'menus'")
        unknown = set(section) - {"menus", "filler"}
        if unknown:
            raise MenuError(f"{source}: {lang}: unknown key(s) {sorted(unknown)}")
        filler = (
            _phrases(section["filler"], f"{source}: {lang}.filler") if section.get("filler") else ()
        )
        for name, intents in section["menus"].items():
            where = f"{source}: {lang}.menus.{name}"
            menus[(str(lang), str(name))] = _menu(str(lang), str(name), intents, filler, where)
    return SpeechMenus(menus)


def build(doc: Doc) -> SpeechMenus:
    try:
        return parse(doc.data, doc.path)
    except MenuError as exc:
        raise MenuError(loader.positioned(doc, exc.issues[0])) from None


def load(path: str | Path) -> SpeechMenus:
    try:
        doc = loader.load(path)
    except SkillFileError as exc:
        raise MenuError(exc.issues) from None
    return build(doc)
