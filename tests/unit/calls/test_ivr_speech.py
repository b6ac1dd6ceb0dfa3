"""IVR menu state for speech: intents resolve to options, no-match fallback, language
menus skipped by the profile's language (issue 6)."""

from engine.ivr.config import parse
from engine.ivr.menu import IvrSession, PlayMenu, Route, Target, target_for_intent

CONFIG = parse(
    {
        "entry": {"default": {"menu": "lang"}},
        "menus": {
            "lang": {
                "prompt": "sound:lang",
                "options": {
                    "1": {"menu": "main", "language": "zh"},
                    "2": {"menu": "main", "language": "en"},
                },
                "default": {"menu": "main"},
            },
            "main": {
                "prompt": "sound:hello",
                "retries": 3,
                "options": {
                    "1": {"queue": "technical", "topic": "technical"},
                    "2": {"queue": "billing"},
                    "9": {"menu": "lang"},
                },
                "default": {"queue": "general"},
            },
        },
    }
)
MAIN = CONFIG.menus["main"]


def test_intent_names_an_option_by_key_topic_queue_menu_or_language():
    assert target_for_intent(MAIN, "technical") == Target("technical", topic="technical")
    assert target_for_intent(MAIN, "billing") == Target("billing")
    assert target_for_intent(MAIN, "1") == MAIN.options["1"]
    assert target_for_intent(MAIN, "lang") == Target(menu="lang")
    assert target_for_intent(MAIN, "general") == Target("general"), "the default, by name"
    assert target_for_intent(CONFIG.menus["lang"], "en").language == "en"
    assert target_for_intent(MAIN, "weather") is None


def test_profile_language_skips_a_language_menu():
    ivr = IvrSession(CONFIG)
    assert ivr.start("en") == PlayMenu("main", ("sound:hello",), 5.0)
    assert ivr.language == "en" and ivr.path == ["entry", "lang:profile:en"]


def test_unknown_profile_language_plays_the_language_menu():
    ivr = IvrSession(CONFIG)
    assert ivr.start("fr").menu == "lang"
    assert ivr.start(None).menu == "lang"


def test_language_menu_chosen_later_is_not_skipped_once_a_language_is_set():
    ivr = IvrSession(CONFIG)
    ivr.start("zh")
    assert ivr.on_digit("9").menu == "lang", "asked for again: the caller wants to change"


def test_spoken_intent_routes_and_no_matches_count_per_menu():
    ivr = IvrSession(CONFIG)
    ivr.start("zh")
    assert ivr.on_no_match().menu == "main" and ivr.speech_allowed("main")
    assert ivr.on_no_match().media[0] == "sound:please-try-again"
    assert not ivr.speech_allowed("main") and ivr.speech_allowed("lang")
    assert ivr.on_intent("technical") == Route("technical", "technical", "zh")
    assert ivr.path[-4:] == [
        "main:no-match",
        "main:no-match",
        "main:keys-only",
        "main:say:technical",
    ]


def test_no_matches_use_up_the_menu_retries_like_wrong_keys():
    ivr = IvrSession(CONFIG)
    ivr.start("zh")
    for _ in range(3):
        assert isinstance(ivr.on_no_match(), PlayMenu)
    assert ivr.on_no_match() == Route("general", None, "zh")
