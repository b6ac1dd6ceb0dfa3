"""Intents beyond keywords (issue 16): pinyin-syllable matching with a confidence, an
outcome to confirm when unsure, never an intent from an empty final."""

from __future__ import annotations

import json

import pytest

from engine.speech import intents, offline
from engine.speech.intents import judge, units
from engine.speech.menus import load as load_menus
from engine.speech.recognizer import Recognizer
from tests.unit.speech.conftest import SKILLS


@pytest.fixture(scope="module")
def zh_menus():
    menus = load_menus(SKILLS / "speech-menus.yaml")
    return menus.get("zh", "main"), menus.get("zh", "language")


def test_units_are_toneless_pinyin_or_words() -> None:
    first = tuple(u.split("/")[0] for u in units("我想查一下账单"))
    assert first == ("wo", "xiang", "cha", "yi", "xia", "zhang", "dan")
    assert units("了")[0].split("/") == ["le", "liao"], "a character's readings, likeliest first"
    assert units("Pay my BILL [unk]") == ("#pay", "#my", "#bill")
    assert units("") == ()


@pytest.mark.parametrize(
    ("said", "intent", "outcome"),
    [
        ("找人工", "general", "accept"),  # shipped paraphrases
        ("转接客服人员", "general", "accept"),
        ("我想查一下账单", "billing", "accept"),
        ("我要交话费", "billing", "accept"),
        ("嗯我要要花费", "billing", "accept"),  # homophone of 话费 inside other words
        ("上不要网", "technical", "accept"),  # 了 read liao: yao differs by its initial only
        ("上不好网", "technical", "confirm"),  # one syllable off: ask
        ("砖家哥服务者与", "general", "confirm"),  # 客服 misheard in free speech
        ("今颠颠坏怎么样", None, "no-match"),  # off-topic
        ("我要你呀", None, "no-match"),  # filler only
        ("", None, "no-match"),
    ],
)
def test_main_menu(zh_menus, said: str, intent: str | None, outcome: str) -> None:
    found = zh_menus[0].judge(said)
    assert (found.intent, found.outcome) == (intent, outcome), found
    assert zh_menus[0].match(said) == (intent if outcome == "accept" else None)


@pytest.mark.parametrize(
    ("said", "intent"), [("说英语", "en"), ("讲中文", "zh"), ("英文", "en"), ("普通话", "zh")]
)
def test_language_menu(zh_menus, said: str, intent: str) -> None:
    assert zh_menus[1].match(said) == intent


def test_near_homophones_score_between_same_and_different() -> None:
    assert intents.similarity("zhang", "zhang") == 1.0
    assert intents.similarity("yao", "liao") == 0.4, "y is spelling: yao is iao, as in liao"
    assert intents.similarity("wang", "huang") == 0.4, "wang is uang, as in huang"
    assert intents.similarity("le/liao", "yao") == 0.4, "the best of a character's readings"
    assert intents.similarity("zhang", "zang") == 0.75  # zh/z
    assert intents.similarity("ying", "yin") == 0.75  # ing/in
    assert intents.similarity("zhang", "dan") == 0.0
    assert intents.similarity("#bill", "#bell") == 0.0  # words: the same or not


def test_a_one_syllable_phrase_needs_the_exact_syllable() -> None:
    menu = {"yes": ("是",), "no": ("不是的",)}
    assert judge("是", menu).outcome == "accept"
    assert judge("时", menu).outcome == "accept"  # same toneless syllable: shi
    assert judge("四", menu).outcome == "no-match"  # si: near, but one unit is too little


def test_a_near_tie_between_intents_is_confirmed_not_accepted() -> None:
    menu = {"a": ("账单查询",), "b": ("账单投诉",)}
    found = judge("账单", menu)
    assert found.outcome in ("confirm", "no-match") and found.intent != "accept"


def test_an_empty_final_never_carries_an_intent(zh_model, zh_menus) -> None:
    """Regression (issue 16): 英文 in the main menu gave ``general`` with text "": the
    intent of a partial survived a final whose rescoring lost the phrase."""
    rec = Recognizer(zh_model, "leg", lang="zh", menu=zh_menus[0])
    rec._last_partial = ("人工", 0.5)
    lost = {"result": [{"word": "[unk]", "start": 0.2, "end": 0.9, "conf": 1.0}], "text": ""}
    [final] = rec._final(json.dumps(lost))
    assert final.text == "" and final.intent is None and final.confirm is None and final.no_match


def test_english_said_in_the_main_menu_is_no_intent(zh_model, espeak, zh_menus) -> None:
    finals = offline.transcribe(espeak("ying1 wen2"), zh_model, "zh", zh_menus[0])
    assert finals and all(t.intent is None and t.confirm is None for t in finals if not t.text)


def test_intent_benchmark_smoke(zh_model, tmp_path) -> None:
    """benchmarks/intents.py on one voice, no noise: figures come out; no false accept."""
    from benchmarks import intents as bench

    assert bench.generate(tmp_path, voices=1, noise=False) == 43
    result = bench.run(tmp_path, zh_model, SKILLS.parent / "skills")
    groups = result["groups"]
    assert groups["offtopic"]["n"] == 12 and groups["offtopic"].get("false-accept", 0) == 0
    assert groups["exact"].get("right", 0) >= 5
    assert "right" in bench.render(result)


@pytest.mark.parametrize(
    ("best", "others", "expected"),
    [
        ("我要", ["我要话费"], ("billing", "confirm")),  # a lower hypothesis names it: ask
        ("上不好网", ["上不了网"], ("technical", "confirm")),  # the same intent, surer
        ("上不好网", ["话费"], ("technical", "confirm")),  # another intent: keep the first
        ("我要", ["我要"], (None, "no-match")),
    ],
)
def test_alternatives_only_ever_lead_to_a_confirmation(zh_menus, best, others, expected) -> None:
    from engine.speech.recognizer import _from_alternatives

    found = _from_alternatives(zh_menus[0], zh_menus[0].judge(best), others)
    assert (found.intent, found.outcome) == expected
    assert found.confidence < intents.ACCEPT


def test_text_negativity_only_from_confident_words_in_the_callers_language() -> None:
    """Issue 16: foreign speech misheard as 骗子 raised calm clips to 0.75."""
    from engine.speech.results import Word, confident_text

    def said(*pairs: tuple[str, float]) -> tuple[Word, ...]:
        return tuple(Word(w, 0.0, 0.1, c) for w, c in pairs)

    # espeak English through the Mandarin model (measured confidences): no text at all
    foreign = said(("乐观", 0.65), ("的", 0.95), ("骗子", 0.66), ("为", 0.74), ("爱", 0.97))
    assert (
        confident_text(foreign + said(("等待", 0.84), ("反弹", 0.76), ("怕", 0.45), ("被", 0.26)))
        == ""
    )
    angry = said(("我", 0.96), ("要", 0.98), ("去", 0.74), ("要", 0.62), ("垃圾", 0.88))
    assert confident_text(angry) == "我要去要垃圾"
    assert confident_text(said(("我", 0.9), ("嗯", 0.3), ("垃圾", 0.95))) == "我垃圾"


def test_speech_off_never_loads_pypinyin() -> None:
    """The skills catalogue builds the speech menus (to check them) even with speech off;
    pypinyin's 55 MB phrase dictionary is loaded only when Chinese text is first judged."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from engine.skills import catalogue\n"
        f"catalogue.read_all({str(SKILLS)!r})\n"
        "assert 'pypinyin' not in sys.modules, 'loaded by the catalogue'\n"
        "from engine.speech.intents import units\n"
        "units('账单')\n"
        "print('pypinyin' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def _m(intent: str | None, confidence: float, outcome: str) -> intents.IntentMatch:
    return intents.IntentMatch(intent, confidence, outcome)  # type: ignore[arg-type]


NONE = _m(None, 0.0, "no-match")


@pytest.mark.parametrize(
    ("grammar", "background", "expected"),
    [
        (_m("billing", 1.0, "accept"), NONE, ("billing", "accept")),  # one pass, no objection
        (NONE, _m("billing", 1.0, "accept"), ("billing", "accept")),  # [unk] swallowed it
        (_m("billing", 0.7, "confirm"), _m("billing", 1.0, "accept"), ("billing", "accept")),
        (_m("billing", 1.0, "accept"), _m("billing", 1.0, "accept"), ("billing", "accept")),
        (_m("billing", 1.0, "accept"), _m("zh", 1.0, "accept"), ("billing", "confirm")),
        (NONE, _m("zh", 1.0, "accept"), ("zh", "accept")),
        (_m("technical", 0.7, "confirm"), _m("zh", 1.0, "accept"), ("technical", "confirm")),
        (_m("technical", 0.7, "confirm"), NONE, ("technical", "confirm")),
        (NONE, _m("technical", 0.7, "confirm"), ("technical", "confirm")),
        (NONE, NONE, (None, "no-match")),
    ],
)
def test_two_passes_route_only_what_neither_contradicts(grammar, background, expected) -> None:
    found = intents.combine(grammar, background)
    assert (found.intent, found.outcome) == expected
    if found.outcome == "confirm":
        assert found.confidence < intents.ACCEPT


def test_the_background_pass_hears_what_unk_swallowed(zh_model, zh_menus) -> None:
    """A final the [unk] grammar lost (text empty) takes its intent from the background
    pass, shows what that pass heard, and with nothing there stays a no-match."""
    main = zh_menus[0]
    background = main.background_grammar(lambda w: zh_model.vosk_model_find_word(w) >= 0)
    assert "[unk]" not in background and "天" in background and "话费" in background
    rec = Recognizer(zh_model, "leg", lang="zh", menu=main)
    assert rec._open is not None
    final = rec._transcript("final", "", 0.2, 0.9, heard_open=["帮 我 转 人工"])
    assert (final.intent, final.text) == ("general", "帮 我 转 人工")
    off = rec._transcript("final", "", 0.2, 0.9, heard_open=["今天 天 气 怎么 样"])
    assert off.no_match and off.confirm is None
    lost = {"result": [{"word": "[unk]", "start": 0.2, "end": 0.9, "conf": 1.0}], "text": ""}
    [plain] = rec._final(json.dumps(lost))  # nothing from the background pass: no match
    assert plain.no_match and plain.confirm is None


def test_a_yes_word_is_an_affirmation_only_when_said_alone(zh_menus) -> None:
    main = zh_menus[0]
    assert main.is_yes("是的") and main.is_yes("对") and not main.is_yes("是的 账单")
    assert main.confirm_text("billing") == "您是要查询账单吗？是的话请按1，或者说“是”。"
    assert main.confirm_text("weather") is None
