"""The UI's message catalogue: every word in every language, fallbacks."""

from __future__ import annotations

import pytest

from engine.web.i18n import CATALOGUE, HINT_FIELDS, catalogue, text


def test_every_key_is_in_every_language():
    keys = set(CATALOGUE["en"])
    for lang, words in CATALOGUE.items():
        assert set(words) == keys, f"{lang}: missing {keys - set(words)}, extra {set(words) - keys}"
        assert all(w.strip() for w in words.values())


def test_text_in_the_users_language_with_english_fallback():
    assert text("zh", "title.desk") == "坐席工作台"
    assert text("en", "title.desk") == "Agent desk"
    assert text("fr", "title.desk") == "Agent desk"
    assert text("zh", "login.blocked", seconds=8) == "登录失败次数过多，请 8 秒后再试。"
    assert text("en", "no.such.key") == "no.such.key"


def test_catalogue_is_a_copy():
    words = catalogue("zh")
    words["logout"] = "x"
    assert text("zh", "logout") == "退出"


@pytest.mark.parametrize(
    ("lang", "kind", "values", "words"),
    [
        ("en", "vip", {"tier": "at-risk"}, "VIP caller, tier at-risk: give them priority service."),
        ("zh", "vip", {"tier": "at-risk"}, "VIP 客户，等级 at-risk：请优先服务。"),
        (
            "en",
            "knowledge-base",
            {"title": "Unexpected charge", "text": "Open the invoices."},
            "Knowledge base · Unexpected charge: Open the invoices.",
        ),
        (
            "zh",
            "knowledge-base",
            {"title": "账单异常", "text": "打开账单。"},
            "知识库 · 账单异常：打开账单。",
        ),
        (
            "en",
            "emotion",
            {"label": "angry", "score": 0.9},
            "The caller sounds angry (0.9). Acknowledge the problem and say what you will do next.",
        ),
        (
            "zh",
            "emotion",
            {"label": "生气", "score": 0.9},
            "来电者听起来生气（0.9）。请先承认问题，再说明您接下来要做什么。",
        ),
        (
            "en",
            "care",
            {"rule": "delivery-delay", "message": "Sorry for the delay."},
            "Proactive care (delivery-delay): Sorry for the delay.",
        ),
        ("zh", "other", {"kind": "new-kind"}, "提示：new-kind"),
    ],
)
def test_hints_read_as_words(lang: str, kind: str, values: dict, words: str) -> None:
    assert set(values) == set(HINT_FIELDS[kind])  # what desk.js fills in
    assert text(lang, f"hint.{kind}", **values) == words


def test_every_hint_kind_and_emotion_label_has_words():
    for lang in CATALOGUE:
        for kind in HINT_FIELDS:
            assert f"hint.{kind}" in CATALOGUE[lang]
        for label in ("calm", "neutral", "agitated", "angry"):  # speech/emotion/score.py
            assert CATALOGUE[lang][f"emotion.{label}"]
