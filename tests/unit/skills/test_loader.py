"""The low-level loader: positions, syntax errors and duplicate keys refused."""

from __future__ import annotations

import pytest

from engine.skills import loader
from engine.skills.loader import SkillFileError


def issues_of(text: str) -> list[str]:
    with pytest.raises(SkillFileError) as info:
        loader.parse(text, "f.yaml")
    return info.value.issues


@pytest.mark.parametrize(
    "text, second, first",
    [
        ("a: 1\nb: 2\na: 3\n", "f.yaml:3:1", "f.yaml:1"),  # top level
        ("queues:\n  general:\n    priority: 1\n    priority: 2\n", "f.yaml:4:5", "f.yaml:3"),
        ("agents:\n  - id: a\n    skills: {x: 1, y: 2, x: 3}\n", "f.yaml:3:26", "f.yaml:3"),
        ("l:\n  - - {k: 1}\n    - {k: 1, k: 2}\n", "f.yaml:3:14", "f.yaml:3"),  # in lists
        (
            'dids:\n  "8000": {menu: a}\n  8000: {menu: b}\n',
            "f.yaml:3:3",
            "f.yaml:2",
        ),  # "8000" = 8000
    ],
)
def test_a_key_written_twice_is_refused_naming_both_lines(text, second, first):
    [issue] = issues_of(text)
    assert issue.startswith(f"{second}: duplicate key ")
    assert issue.endswith(f"(first at {first})")


def test_every_duplicate_is_reported_in_file_order():
    issues = issues_of("a: 1\na: 2\nb: {c: 1, c: 2}\n")
    assert [i.split(": ")[0] for i in issues] == ["f.yaml:2:1", "f.yaml:3:11"]


def test_same_key_in_different_mappings_and_merge_keys_are_fine():
    doc = loader.parse("base: &b {x: 1}\none: {<<: *b, y: 1}\ntwo: {<<: *b, y: 2}\n", "f.yaml")
    assert doc.data["one"] == {"x": 1, "y": 1} and doc.data["two"]["y"] == 2


def test_a_syntax_error_names_file_line_and_column():
    [issue] = issues_of("a: [1, 2\nb: 3\n")
    assert issue.startswith("f.yaml:") and "YAML syntax" in issue
    assert issue.split(":")[1].isdigit()


def test_a_missing_file_is_an_issue_not_a_crash(tmp_path):
    with pytest.raises(SkillFileError, match="cannot read"):
        loader.load(tmp_path / "nothing.yaml")


def test_mark_finds_values_keys_and_list_items():
    doc = loader.parse("a:\n  b: [x, y]\n  c: 1\n", "f.yaml")
    assert doc.mark(["a", "b", 1]) == "f.yaml:2:10"
    assert doc.mark(["a", "b", "1"]) == "f.yaml:2:10"
    assert doc.mark(["a", "c"], key=True) == "f.yaml:3:3"
    assert doc.mark(["a", "zz"]) == "f.yaml:2:3"  # nearest existing parent
    assert doc.text.startswith("a:")


def test_positioned_turns_a_dotted_path_into_a_position():
    doc = loader.parse("menus:\n  main:\n    options: {1: x}\n", "f.yaml")
    assert loader.positioned(doc, "f.yaml: menus.main.options: bad") == "f.yaml:3:14: bad"
    assert loader.positioned(doc, "f.yaml: no path here") == "f.yaml:1:1: no path here"


def test_check_and_build():
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer"}},
        "additionalProperties": False,
    }
    assert loader.parse_checked("n: 1\n", "f.yaml", schema, lambda d: d.data["n"]) == 1
    with pytest.raises(SkillFileError) as info:
        loader.parse_checked("n: one\nm: 2\n", "f.yaml", schema, lambda d: d)
    assert info.value.issues == [
        "f.yaml:2:1: unknown key 'm'",
        "f.yaml:1:4: 'one' is not of type 'integer'",
    ]
