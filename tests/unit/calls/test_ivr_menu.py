import pytest

from engine.ivr.config import IvrConfigError, parse
from engine.ivr.menu import IvrSession, PlayMenu, Route

CONFIG = {
    "entry": {"default": {"menu": "main"}, "dids": {"8100": {"queue": "general"}}},
    "menus": {
        "main": {
            "prompt": ["sound:hello"],
            "timeout": 3,
            "retries": 1,
            "options": {"1": {"queue": "technical", "topic": "technical"}, "9": {"menu": "lang"}},
            "default": {"queue": "general"},
        },
        "lang": {
            "prompt": "sound:lang",
            "options": {"2": {"menu": "main", "language": "zh"}},
            "default": {"menu": "main"},
        },
    },
}


def session(did: str = "8000") -> IvrSession:
    return IvrSession(parse(CONFIG), did)


def test_did_listed_goes_straight_to_its_queue():
    assert session("8100").start() == Route("general", None, None)


def test_unlisted_did_plays_the_entry_menu():
    assert session().start() == PlayMenu("main", ("sound:hello",), 3.0)


def test_key_routes_with_topic_and_records_path():
    s = session()
    s.start()
    assert s.on_digit("1") == Route("technical", "technical", None)
    assert s.path == ["entry", "main:1"]


def test_wrong_key_replays_with_invalid_prompt_then_default():
    s = session()
    s.start()
    step = s.on_digit("7")
    assert isinstance(step, PlayMenu) and step.media[0] == "sound:please-try-again"
    assert s.on_timeout() == Route("general", None, None)
    assert s.path == ["entry", "main:7?", "main:timeout", "main:default"]


def test_language_choice_sticks_for_the_route():
    s = session()
    s.start()
    s.on_digit("9")
    s.on_digit("2")
    assert s.on_digit("1") == Route("technical", "technical", "zh")


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda c: c["menus"]["main"]["options"].update({"12": {"queue": "x"}}), "one DTMF digit"),
        (lambda c: c["menus"]["main"].update(default={"menu": "nowhere"}), "unknown menu"),
        (lambda c: c["menus"]["main"].update(prompt=["hello"]), "media URIs"),
        (
            lambda c: c["menus"]["main"]["options"].update({"3": {"queue": "a", "menu": "b"}}),
            "exactly one",
        ),
        (lambda c: c["menus"]["main"]["options"].update({"3": {"qeue": "a"}}), "unknown key"),
    ],
)
def test_bad_config_is_refused_with_reason(mutate, message):
    import copy

    bad = copy.deepcopy(CONFIG)
    mutate(bad)
    with pytest.raises(IvrConfigError, match=message):
        parse(bad)
