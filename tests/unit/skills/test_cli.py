"""`python -m engine skills check`: exit codes and file:line:column output."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from engine.skills import cli

SKILLS = Path(__file__).resolve().parents[3] / "skills"


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_shipped_skills_pass(capsys):
    files = [str(p) for p in sorted(SKILLS.glob("*.yaml"))]
    assert run("skills", "check", *files) == 0
    assert capsys.readouterr().out == ""


def test_every_error_is_reported(tmp_path, capsys):
    for p in SKILLS.glob("*.yaml"):
        shutil.copy(p, tmp_path / p.name)
    queues = tmp_path / "queues.yaml"
    queues.write_text(
        queues.read_text()
        .replace("strategy: longest-idle", "strategy: fast")
        .replace("{after: 90, overflow: general}", "{after: 90, overflow: x}")
    )
    ivr = tmp_path / "ivr.yaml"
    ivr.write_text(ivr.read_text().replace("{menu: main}", "{menu: nowhere}", 1))
    assert run("skills", "check", str(queues), str(ivr)) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    line = next(i for i, t in enumerate(ivr.read_text().splitlines(), 1) if "nowhere" in t)
    assert lines[0].startswith(f"{ivr}:{line}:") and "unknown menu 'nowhere'" in lines[0]
    assert lines[1].startswith(f"{queues}:") and "'fast' is not one of" in lines[1]
    assert lines[2].endswith("overflow to unknown queue 'x'")


def test_schema_prints_the_json_schema_of_any_rule_file(capsys):
    import json

    from jsonschema import Draft202012Validator

    for path in sorted(SKILLS.glob("*.yaml")):
        assert run("skills", "schema", str(path)) == 0
        Draft202012Validator.check_schema(json.loads(capsys.readouterr().out))
    assert run("skills", "schema", "nothing.yaml") == 2
