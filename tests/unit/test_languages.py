"""Matching customers' language tags to what the engine offers."""

from engine.languages import best_match, primary


def test_a_regional_tag_takes_the_offered_primary_language():
    assert best_match("zh-CN", ["zh", "en"]) == "zh"
    assert best_match("en_GB", ["zh", "en"]) == "en"
    assert primary("zh-Hant-TW") == "zh"


def test_an_exact_tag_wins_over_a_shared_primary_language():
    assert best_match("zh-TW", ["zh", "zh-TW"]) == "zh-TW"
    assert best_match("ZH-tw", ["zh", "zh-TW"]) == "zh-TW"
    assert best_match("zh", ["zh-CN", "zh"]) == "zh"


def test_a_language_nothing_speaks_or_none_matches_nothing():
    assert best_match("fr-FR", ["zh", "en"]) is None
    assert best_match(None, ["zh"]) is None
    assert best_match("", ["zh"]) is None
