"""Speech menus (``skills/speech-menus.yaml``): phrases -> intents per language and menu.

Each menu gives a Vosk grammar (its phrases - every phrasing a caller may use - cut into
words the model knows, the language's filler words that callers wrap around a phrase -
"I want...", "我要..." - and ``[unk]`` so that anything else is a no-match rather than a
forced guess) and judges a recognised text against the intents by pinyin syllables
(``engine.speech.intents``): accepted, to confirm, or no match. Menu names follow
``skills/ivr.yaml``.
A language may give ``confirm``: the question asked when a match is unsure (``prompt``
with ``{label}``, e.g. "您是要{label}吗？请按1，或者说“是”。"), each intent's ``labels`` and the
``affirm`` words that answer yes to it (also in every grammar of the language).
Menus of a language with a background vocabulary (``BACKGROUND``: common words, not the
menu's) also give a second grammar, the phrases and that vocabulary without ``[unk]``:
off-topic speech finds words of its own there instead of being forced onto a phrase, and
a phrase the ``[unk]`` grammar swallowed can still be heard (``background_grammar``).
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
# common words per language, heard instead of [unk] by a menu leg's second pass (of
# them, the model's own words). zh: the most frequent characters of written Chinese and
# the spoken particles (吗吧啊呀哦嗯喂); not chosen from any benchmark sentence.
BACKGROUND: dict[str, str] = {
    "zh": (
        "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着"
        "去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主"
        "行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二"
        "理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走"
        "电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市"
        "眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提"
        "感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它"
        "许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青"
        "管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步"
        "完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持"
        "取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯"
        "专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴切围吗吧啊呀哦嗯喂"
    ),
}
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
class Confirmation:
    """How a language asks "did you mean...?" (``prompt`` with ``{label}``) and hears yes."""

    prompt: str
    labels: dict[str, str]
    yes: tuple[str, ...]


@dataclass(frozen=True)
class SpeechMenu:
    lang: str
    name: str
    intents: dict[str, tuple[str, ...]]
    filler: tuple[str, ...] = ()
    confirmation: Confirmation | None = None

    def grammar(self, known: Callable[[str], bool]) -> list[str]:
        phrases = {" ".join(segment(p, known)) for ps in self.intents.values() for p in ps}
        phrases |= {" ".join(segment(w, known)) for w in (*self.filler, *self.yes_words)}
        return [*sorted(phrases), UNK]

    def background_grammar(self, known: Callable[[str], bool]) -> list[str]:
        """The grammar of the second pass: phrases, filler, yes words and the language's
        background vocabulary, no ``[unk]``; empty for a language without one."""
        extra = sorted({w for w in BACKGROUND.get(self.lang, "") if known(w)})
        if not extra:
            return []
        return [*(w for w in self.grammar(known) if w != UNK), *extra]

    @property
    def yes_words(self) -> tuple[str, ...]:
        return self.confirmation.yes if self.confirmation else ()

    def is_yes(self, text: str) -> bool:
        """The whole of ``text`` is a yes word ("是", "对的", "yes")."""
        said = canonical(text)
        return bool(said) and any(said == canonical(y) for y in self.yes_words)

    def confirm_text(self, intent: str) -> str | None:
        """The question that confirms ``intent`` ("您是要查询账单吗？请按1"), or ``None``
        when the language gives no confirmation (an unsure match is then a no-match)."""
        if self.confirmation is None or intent not in self.intents:
            return None
        label = self.confirmation.labels.get(intent) or self.intents[intent][0]
        return self.confirmation.prompt.replace("{label}", label)

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


def _confirmation(raw: Any, where: str) -> Confirmation:
    if not isinstance(raw, dict) or not isinstance(raw.get("prompt"), str):
        raise MenuError(f"{where}: expected a mapping with a 'prompt'")
    if "{label}" not in raw["prompt"]:
        raise MenuError(f"{where}.prompt: must contain {{label}} (the intent's label)")
    labels = raw.get("labels", {})
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise MenuError(f"{where}.labels: expected a mapping of intent -> label")
    yes = _phrases(raw.get("affirm"), f"{where}.affirm")
    return Confirmation(raw["prompt"], {str(k): v for k, v in labels.items()}, yes)


def _menu(
    lang: str,
    name: str,
    intents: Any,
    filler: tuple[str, ...],
    where: str,
    confirmation: Confirmation | None = None,
) -> SpeechMenu:
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
    if confirmation is not None:
        yes = {canonical(y) for y in confirmation.yes} & set(seen)
        if yes:
            raise MenuError(f"{where}: {sorted(yes)} is both a yes word and a phrase")
    return SpeechMenu(lang, name, parsed, filler, confirmation)


def parse(data: Any, source: str = "speech-menus.yaml") -> SpeechMenus:
    """``{lang: {filler: [...], menus: {menu: {intent: [phrase...]}}}}``."""
    if not isinstance(data, dict):
        raise MenuError(f"{source}: expected a mapping of language -> menus")
    menus: dict[tuple[str, str], SpeechMenu] = {}
    for lang, section in data.items():
        if not isinstance(section, dict) or not isinstance(section.get("menus"), dict):
            raise MenuError(f"{source}: {lang}: expected a mapping with 'menus'")
        unknown = set(section) - {"menus", "filler", "confirm"}
        if unknown:
            raise MenuError(f"{source}: {lang}: unknown key(s) {sorted(unknown)}")
        filler = (
            _phrases(section["filler"], f"{source}: {lang}.filler") if section.get("filler") else ()
        )
        confirmation = (
            _confirmation(section["confirm"], f"{source}: {lang}.confirm")
            if section.get("confirm") is not None
            else None
        )
        for name, intents in section["menus"].items():
            where = f"{source}: {lang}.menus.{name}"
            menus[(str(lang), str(name))] = _menu(
                str(lang), str(name), intents, filler, where, confirmation
            )
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
