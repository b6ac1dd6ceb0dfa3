"""The one reload path: every file re-read; a broken edit is refused with file:line and
the last good value stays live; the errors are kept for /status."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.skills.live import LiveSkills
from engine.skills.loader import SkillFileError

SKILLS = Path(__file__).resolve().parents[3] / "skills"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for path in SKILLS.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


@pytest.fixture
def live(folder: Path) -> tuple[LiveSkills, dict[str, object], dict[str, list[str]]]:
    skills = LiveSkills(folder)
    current = dict(skills.load())
    refused: dict[str, list[str]] = {}

    def binder(unit: str):
        def apply(value):
            current[unit] = value

        return apply

    async def apply_routing(value):  # an async domain (RoutingService.use)
        current["routing"] = value

    skills.bind("routing", apply_routing, lambda issues: refused.update(routing=issues))
    for unit in ("ivr", "offers", "speech-menus"):
        skills.bind(unit, binder(unit), lambda issues, u=unit: refused.update({u: issues}))
    return skills, current, refused


async def test_a_broken_edit_keeps_the_last_good_config(folder, live):
    skills, current, refused = live
    good_routing, good_ivr = current["routing"], current["ivr"]
    queues = folder / "queues.yaml"
    queues.write_text(queues.read_text().replace("strategy: best-skill", "strategy: fast", 1))
    ivr = folder / "ivr.yaml"
    ivr.write_text(ivr.read_text().replace("retries: 2", "retries: 2\n    retries: 3", 1))
    assert await skills.reload() is False
    assert current["routing"] is good_routing and current["ivr"] is good_ivr
    assert [e.split(":")[0] for e in skills.errors] == [str(queues), str(ivr)]
    assert "duplicate key 'retries'" in skills.errors[1]
    assert refused["routing"] == skills.errors[:1] and refused["ivr"] == skills.errors[1:]
    assert skills.status()["last_reload_errors"] == skills.errors


async def test_other_files_still_reload_and_a_fixed_edit_goes_live(folder, live):
    skills, current, _ = live
    offers = folder / "offers.yaml"
    offers.write_text(offers.read_text().replace('pitch: "Advanced plan:', 'pitch: "NEW:', 1))
    queues = folder / "queues.yaml"
    good = queues.read_text()
    queues.write_text(good.replace("priority: 0", "priority: zero", 1))
    old_routing = current["routing"]
    assert await skills.reload() is False
    assert "NEW:" in current["offers"].rules[0].offer["pitch"], "a valid file is applied"
    assert current["routing"] is old_routing
    queues.write_text(good.replace("priority: 0", "priority: 1", 1))
    assert await skills.reload() is True and skills.errors == []
    assert current["routing"].queues["general"].priority == 1
    assert current["routing"].version != old_routing.version


def test_start_up_refuses_a_broken_folder_with_every_problem(folder):
    (folder / "vip.yaml").write_text("aging: 1\naging: 2\n")
    (folder / "care-rules.yaml").write_text("rules: [\n")
    with pytest.raises(SkillFileError) as info:
        LiveSkills(folder).load()
    assert len(info.value.issues) == 2
    assert info.value.issues[0].startswith(f"{folder}/vip.yaml:2:1: duplicate key 'aging'")


def test_binding_an_unknown_unit_is_a_mistake(folder):
    with pytest.raises(KeyError):
        LiveSkills(folder).bind("agents", lambda value: None)


async def test_a_domain_that_fails_to_take_its_value_is_reported_not_fatal(folder):
    skills = LiveSkills(folder)
    taken = []

    async def broken(value):
        raise ConnectionError("redis is down")

    skills.bind("routing", broken)
    skills.bind("ivr", taken.append)
    assert await skills.reload() is False
    assert taken, "the other units still reload"
    [error] = skills.errors
    assert error.startswith(f"{folder}/agents.yaml:1:1: ") and "redis is down" in error
