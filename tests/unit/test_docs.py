"""The README stays true: every setting and every command is documented there."""

from __future__ import annotations

import re
from pathlib import Path

from engine.cli import build_parser
from engine.settings import describe

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme_table():
    table = README.split("<!-- settings-table:start -->")[1].split("<!-- settings-table:end -->")[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.M))
    declared = {name for name, _, _ in describe()}
    assert declared - documented == set(), "settings missing from README"
    assert documented - declared == set(), "README documents settings that do not exist"


def test_every_command_is_in_the_readme():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in sub.choices:
        assert f"python -m engine {name}" in README, f"command {name!r} is not documented"


def test_readme_test_command_is_what_ci_runs():
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci
    assert "bash scripts/test.sh" in README
