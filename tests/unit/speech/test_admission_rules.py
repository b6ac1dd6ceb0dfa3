"""skills/listening.yaml: the shipped file is the defaults; edits are checked with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.skills import catalogue
from engine.skills.loader import SkillFileError
from engine.speech import admission_rules
from engine.speech.admission import Standing

ROOT = Path(__file__).resolve().parents[3]
UNIT = catalogue.unit("listening")


def test_the_shipped_policy_is_the_default_and_a_missing_file_gives_it(tmp_path):
    assert catalogue.read_unit(ROOT / "skills", UNIT) == admission_rules.DEFAULT
    assert catalogue.read_unit(tmp_path, UNIT) == admission_rules.DEFAULT
    (tmp_path / "listening.yaml").write_text("# nothing yet\n")
    assert catalogue.read_unit(tmp_path, UNIT) == admission_rules.DEFAULT


def test_a_supervisor_puts_agents_of_platinum_callers_before_other_callers(tmp_path):
    (tmp_path / "listening.yaml").write_text(
        "ivr_always: false\n"
        "agitated: {labels: [], score: 0.8}\n"
        "priorities:\n"
        "  - {name: platinum, legs: [caller, agent], vip: [platinum]}\n"
        "  - {name: rest, legs: [ivr, caller]}\n"
    )
    policy = catalogue.read_unit(tmp_path, UNIT)
    assert not policy.ivr_always
    assert policy.rank("agent", Standing(vip_tier="platinum")) == (0, "platinum")
    assert policy.rank("agent", Standing(vip_tier="gold")) == (2, "others")
    assert policy.agitated(Standing(emotion_score=0.8))
    assert not policy.agitated(Standing(emotion="angry"))


@pytest.mark.parametrize(
    "text, where, reason",
    [
        ("priorities:\n  - {name: a, legs: [boss]}\n", ":2:", "boss"),
        ("priorities:\n  - {name: a}\n", ":2:", "legs"),
        ("budget: 3\n", ":1:", "budget"),
        (
            "priorities:\n  - {name: a, legs: [ivr]}\n  - {name: a, legs: [agent]}\n",
            ":3:",
            "used twice",
        ),
    ],
)
def test_a_broken_edit_is_refused_with_file_and_line(tmp_path, text, where, reason):
    path = tmp_path / "listening.yaml"
    path.write_text(text)
    with pytest.raises(SkillFileError) as err:
        catalogue.read_unit(tmp_path, UNIT)
    issue = " ".join(err.value.issues)
    assert f"{path}{where}" in issue and reason in issue
    assert any(reason in i for i in catalogue.check_files([path]))
