"""Every one of the rule files has a schema: a broken value (and a key written
twice) in each is refused as file:line: reason at the offending line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.skills import catalogue

SKILLS = Path(__file__).resolve().parents[3] / "skills"

# file, text on one line, its broken replacement, words of the expected reason
BROKEN = [
    (
        "agents.yaml",
        "skills: {technical: 5, billing: 2}",
        "skills: {technical: 7, billing: 2}",
        "greater than the maximum",
    ),
    ("queues.yaml", "strategy: best-skill", "strategy: fastest", "is not one of"),
    ("vip.yaml", "priority_boost: 300", "priority_boost: -1", "less than the minimum"),
    (
        "knowledge-base.yaml",
        "title: Connection drops",
        "titel: Connection drops",
        "unknown key 'titel'",
    ),
    ("ivr.yaml", "timeout: 4 ", "timeout: soon ", "is not of type 'number'"),
    (
        "speech-menus.yaml",
        "billing: [billing, bill, payment, pay my bill, my invoice, check my balance]",
        "billing: []",
        "should be non-empty",
    ),
    ("complaint-words.yaml", "投诉: 0.8", "投诉: 2", "greater than the maximum"),
    ("risk-tags.yaml", "weight: 3.2", "weight: heavy", "is not of type 'number'"),
    ("offers.yaml", "kind: up-sell", "kind: down-sell", "is not one of"),
    ("care-rules.yaml", "action: notify", "action: shout", "is not one of"),
    (
        "next-best-action.yaml",
        "title: Express refund",
        "titel: Express refund",
        "unknown key 'titel'",
    ),
    ("trunks.yaml", "auth: ip", "auth: password", "is not one of"),
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for path in SKILLS.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def break_line(path: Path, old: str, new: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, text in enumerate(lines) if old in text)
    lines[number] = lines[number].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")
    return number + 1


def test_every_file_has_a_schema_and_the_shipped_files_pass():
    names = {f.name for u in catalogue.UNITS for f in u.files}
    assert names == {p.name for p in SKILLS.glob("*.yaml")} and len(names) == 13
    assert all(f.schema for u in catalogue.UNITS for f in u.files)
    assert catalogue.check_files([SKILLS]) == []


@pytest.mark.parametrize("name, old, new, reason", BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_value_is_refused_at_its_line(folder, name, old, new, reason):
    line = break_line(folder / name, old, new)
    issues = catalogue.check_files([folder])
    assert issues, "the broken edit was accepted"
    assert issues[0].startswith(f"{folder / name}:{line}:"), issues
    assert reason in issues[0]


@pytest.mark.parametrize("name", sorted(p.name for p in SKILLS.glob("*.yaml")))
def test_a_key_written_twice_is_refused_in_every_file(folder, name):
    path = folder / name
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    # the first top-level key, written again at the end of the file
    first = next(i for i, t in enumerate(lines) if t[:1].isalpha() or t.startswith('"'))
    key = lines[first].split(":", 1)[0]
    path.write_text("".join(lines) + f"{key}: null\n", encoding="utf-8")
    [issue] = catalogue.check_files([path])
    assert issue == (
        f"{path}:{len(lines) + 1}:1: duplicate key {key!r} (first at {path}:{first + 1})"
    )


def test_ivr_rules_beyond_the_schema_point_at_the_target(folder):
    line = break_line(folder / "ivr.yaml", '"8000": {menu: main}', '"8000": {menu: nowhere}')
    [issue] = catalogue.check_files([folder / "ivr.yaml"])
    assert issue.startswith(f"{folder}/ivr.yaml:{line}:") and "unknown menu 'nowhere'" in issue


def test_speech_menu_rules_beyond_the_schema_point_at_the_menu(folder):
    line = break_line(
        folder / "speech-menus.yaml",
        "general: [agent, operator, customer service, a real person, talk to someone, human]",
        "general: [agent, operator, customer service, a real person, talk to someone, bill]",
    )
    [issue] = catalogue.check_files([folder / "speech-menus.yaml"])
    assert issue.startswith(f"{folder}/speech-menus.yaml:{line - 2}:")  # the menu "main"
    assert "given to both 'billing' and 'general'" in issue
