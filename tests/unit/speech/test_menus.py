"""Speech menus: YAML, grammar derivation and phrase -> intent matching."""

from __future__ import annotations

import pytest

from engine.speech.menus import UNK, MenuError, canonical, load, parse, segment
from tests.unit.speech.conftest import SKILLS

VOCAB = {"技术", "支持", "人工", "服务", "账单", "我", "要", "查"}


def known(word: str) -> bool:
    return word in VOCAB or len(word) == 1


def test_the_shipped_menus_load():
    menus = load(SKILLS / "speech-menus.yaml")
    main = menus.get("zh", "main")
    assert "技术支持" in main.intents["technical"]
    assert menus.get("en", "main").match("technical support please") == "technical"


def test_phrases_are_cut_into_words_the_model_knows():
    assert segment("技术支持", known) == ["技术", "支持"]
    assert segment("上不了网", known) == ["上", "不", "了", "网"]
    assert segment("Tech Support", known) == ["tech", "support"]
    assert segment("我要 refund 退款", known) == ["我", "要", "refund", "退", "款"]


def test_grammar_is_phrases_filler_and_unk():
    menu = parse(
        {
            "zh": {
                "filler": ["我要"],
                "menus": {"m": {"technical": ["技术支持"], "general": ["人工服务", "人工"]}},
            }
        }
    ).get("zh", "m")
    assert menu.grammar(known) == ["人工", "人工 服务", "我 要", "技术 支持", UNK]
    assert menu.unknown_words(lambda w: w in {"技术", "人工", "服务"}) == ["持", "支"]


@pytest.mark.parametrize(
    "heard, intent",
    [
        ("技术 支持", "technical"),
        ("我 要 查 账单", "billing"),
        ("人工 服务", "general"),
        ("人工", "general"),
        ("[unk]", None),
        ("", None),
        ("我 要", None),
        ("天气", None),
    ],
)
def test_recognised_text_maps_to_an_intent(heard, intent):
    menu = parse(
        {
            "zh": {
                "menus": {
                    "main": {
                        "technical": ["技术支持"],
                        "billing": ["账单"],
                        "general": ["人工", "人工服务"],
                    }
                }
            }
        }
    ).get("zh", "main")
    assert menu.match(heard) == intent


def test_canonical_ignores_case_spaces_punctuation_and_unk():
    assert canonical("Tech-Support, [unk] please!") == "techsupportplease"
    assert canonical("技术　支持。") == "技术支持"


@pytest.mark.parametrize(
    "data, problem",
    [
        ([], "expected a mapping of language"),
        ({"zh": {"main": {}}}, "expected a mapping with 'menus'"),
        ({"zh": {"menus": {"m": {}}, "extra": 1}}, "unknown key"),
        ({"zh": {"menus": {"m": {}}}}, "intent -> phrases"),
        ({"zh": {"menus": {"m": {"a": []}}}}, "list of phrases"),
        ({"zh": {"menus": {"m": {"a": ["!!"]}}}}, "list of phrases"),
        ({"zh": {"menus": {"m": {"a": ["人工"], "b": ["人 工"]}}}}, "both 'a' and 'b'"),
        ({"zh": {"confirm": {"prompt": "您是要吗", "affirm": ["是"]}, "menus": {}}}, "{label}"),
        ({"zh": {"confirm": {"prompt": "{label}?"}, "menus": {}}}, "confirm.affirm"),
        (
            {
                "zh": {
                    "confirm": {"prompt": "{label}?", "affirm": ["是"]},
                    "menus": {"m": {"a": ["是"]}},
                }
            },
            "both a yes word and a phrase",
        ),
        (
            {
                "zh": {
                    "confirm": {"prompt": "{label}?", "affirm": ["是"], "labels": []},
                    "menus": {},
                }
            },
            "labels",
        ),
    ],
)
def test_bad_menus_are_refused_with_the_place(data, problem):
    with pytest.raises(MenuError, match=problem):
        parse(data)


def test_an_unknown_menu_lists_what_exists():
    menus = parse({"zh": {"menus": {"main": {"a": ["人工"]}}}})
    with pytest.raises(MenuError, match="main/zh"):
        menus.get("en", "main")
