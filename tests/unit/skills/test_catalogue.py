"""The catalogue: every file -> schema -> its domain's builder; the one place that knows
all domains (domains import only the low-level loader)."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from engine.ivr.menu import IvrConfig
from engine.routing.config_types import RoutingConfig
from engine.skills import catalogue
from engine.skills.loader import SkillFileError
from engine.speech.menus import SpeechMenus

ROOT = Path(__file__).resolve().parents[3]
SKILLS = ROOT / "skills"


def test_every_unit_builds_the_domain_types_from_the_shipped_files():
    values = catalogue.read_all(SKILLS)
    assert list(values) == [u.name for u in catalogue.UNITS]
    assert isinstance(values["routing"], RoutingConfig) and values["routing"].version
    assert isinstance(values["ivr"], IvrConfig)
    assert isinstance(values["speech-menus"], SpeechMenus)
    assert values["complaint-words"]["zh"]["投诉"] == 0.8


def test_absent_optional_files_give_the_units_missing_value(tmp_path):
    for name in ("agents.yaml", "queues.yaml", "vip.yaml", "ivr.yaml"):
        shutil.copy(SKILLS / name, tmp_path / name)
    values = catalogue.read_all(tmp_path)
    assert values["offers"] == catalogue.unit("offers").missing
    assert values["speech-menus"] == SpeechMenus({})
    assert values["routing"].knowledge == {}


def test_a_required_file_missing_is_an_error(tmp_path):
    shutil.copy(SKILLS / "ivr.yaml", tmp_path / "ivr.yaml")
    with pytest.raises(SkillFileError) as info:
        catalogue.read_all(tmp_path)
    assert {i.split(":")[0].rsplit("/", 1)[1] for i in info.value.issues} == {
        "agents.yaml",
        "queues.yaml",
        "vip.yaml",
    }
    assert all("cannot read" in i for i in info.value.issues)


def test_check_of_a_folder_reports_a_missing_required_file(tmp_path):
    shutil.copy(SKILLS / "ivr.yaml", tmp_path / "ivr.yaml")
    issues = catalogue.check_files([tmp_path])
    assert any(i.startswith(f"{tmp_path}/agents.yaml:1:1: cannot read") for i in issues)


def test_a_routing_file_under_another_name_is_known_by_its_content(tmp_path):
    shutil.copy(SKILLS / "agents.yaml", tmp_path / "my-agents.yaml")
    assert catalogue.check_files([tmp_path / "my-agents.yaml"]) == []
    (tmp_path / "notes.yaml").write_text("hello: 1\n")
    [issue] = catalogue.check_files([tmp_path / "notes.yaml"])
    assert issue.startswith(f"{tmp_path}/notes.yaml:1:1: unknown file kind")


def _engine_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return {n for n in names if n.startswith("engine.")}


def test_domains_import_only_the_low_level_loader_from_engine_skills():
    for path in (ROOT / "engine").rglob("*.py"):
        if "skills" in path.relative_to(ROOT / "engine").parts or path.name in ("app.py", "cli.py"):
            continue
        used = {n for n in _engine_imports(path) if n.startswith("engine.skills")}
        assert used <= {"engine.skills", "engine.skills.loader"}, (path, used)


def test_the_loader_knows_no_domain():
    assert _engine_imports(ROOT / "engine/skills/loader.py") == set()
