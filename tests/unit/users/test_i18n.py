"""The UI's message catalogue: every word in every language, fallbacks."""

from __future__ import annotations

from engine.web.i18n import CATALOGUE, catalogue, text


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
