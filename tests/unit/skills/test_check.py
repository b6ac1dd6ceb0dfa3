"""`skills check`: every problem as file:line:column: reason, across files too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.routing.config import RoutingConfigError, load_config
from engine.skills.catalogue import check_files

SKILLS = Path(__file__).resolve().parents[3] / "skills"
ROUTING_FILES = ["agents.yaml", "queues.yaml", "vip.yaml", "knowledge-base.yaml"]


@pytest.fixture
def skills(tmp_path: Path) -> Path:
    for name in ROUTING_FILES:
        shutil.copy(SKILLS / name, tmp_path / name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_shipped_files_are_valid():
    assert check_files([SKILLS / n for n in ROUTING_FILES]) == []
    config = load_config(SKILLS)
    assert len(config.agents) == 10 and set(config.queues) >= {"general", "technical", "vip"}


def test_schema_error_points_at_the_value(skills: Path):
    edit(
        skills / "queues.yaml", "{after: 30, min_proficiency: 2}", "{after: 30, min_proficiency: 9}"
    )
    issue, *_ = check_files([skills / "queues.yaml"])
    line = next(
        i
        for i, t in enumerate((skills / "queues.yaml").read_text().splitlines(), 1)
        if "min_proficiency: 9" in t
    )
    col = (skills / "queues.yaml").read_text().splitlines()[line - 1].index("9") + 1
    assert issue == f"{skills}/queues.yaml:{line}:{col}: 9 is greater than the maximum of 5"


def test_unknown_key_points_at_the_key(skills: Path):
    edit(skills / "vip.yaml", "    priority_boost: 60", "    priority_bost: 60")
    issues = check_files([skills / "vip.yaml"])
    assert len(issues) == 1 and issues[0].endswith(": unknown key 'priority_bost'")
    assert issues[0].split(":")[2] == "5"  # the key's column


def test_cross_file_rules(skills: Path):
    edit(skills / "queues.yaml", "skills: {technical: 3}", "skills: {technicl: 3}")
    edit(skills / "queues.yaml", "{after: 90, overflow: general}", "{after: 90, overflow: gen}")
    edit(skills / "vip.yaml", "group: platinum", "group: platnum")
    issues = check_files([skills / "queues.yaml", skills / "vip.yaml"])
    reasons = [i.split(": ", 1)[1] for i in issues]
    assert reasons == [
        "unknown skill 'technicl'",
        "overflow to unknown queue 'gen'",
        "unknown group 'platnum'",
    ]
    assert all(i.count(":") >= 3 and i.split(":")[1].isdigit() for i in issues)


def test_yaml_syntax_error_has_a_position(skills: Path):
    (skills / "agents.yaml").write_text("skills: [a\nagents: []\n", encoding="utf-8")
    [issue] = check_files([skills / "agents.yaml"])
    assert issue.startswith(f"{skills}/agents.yaml:") and "YAML syntax" in issue


def test_load_config_refuses_a_broken_folder(skills: Path):
    edit(skills / "agents.yaml", "languages: [en]", "languages: []")
    with pytest.raises(RoutingConfigError) as info:
        load_config(skills)
    assert info.value.issues and "agents.yaml:" in info.value.issues[0]
