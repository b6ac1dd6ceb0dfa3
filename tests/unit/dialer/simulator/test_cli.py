"""`python -m engine dialer simulate`: table, JSON and progress on stderr."""

import argparse
import json

import pytest

from engine import cli as engine_cli
from engine.dialer import cli
from engine.dialer.simulator import cli as simulator_cli

SMALL = [
    "dialer",
    "simulate",
    "--agents",
    "3",
    "--answer-rates",
    "60%",
    "--handle-times",
    "300",
    "--hours",
    "0.05",
    "--seed",
    "4",
]


def run(argv):
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_the_dialer_commands_are_registered():
    assert "engine.dialer.cli" in engine_cli.COMMAND_MODULES


def test_table_on_stdout_and_progress_on_stderr(capsys):
    assert run(SMALL) == 0
    out, err = capsys.readouterr()
    for name in ("progressive", "ratio 2:1", "predictive", "oracle", "occupancy", "gap"):
        assert name in out
    assert "[1/1] done" in err


def test_json_is_the_same_table_machine_readable(capsys):
    assert run([*SMALL, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["seed"] == 4 and data["limit"] == 0.03
    rows = data["rows"]
    assert [r["algorithm"] for r in rows] == ["progressive", "ratio 2:1", "predictive", "oracle"]
    assert {
        "agents",
        "answer_rate",
        "handle_time",
        "occupancy",
        "abandon_rate",
        "connects_per_agent_hour",
        "idle_between",
        "gap",
    } <= set(rows[0])
    assert rows[0]["answer_rate"] == 0.6


def test_warm_up_adds_steady_state_columns_and_known_ends_a_row(capsys):
    assert run([*SMALL, "--warmup", "1", "--known-ends", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["warmup_minutes"] == 1 and data["planned"] is False
    rows = data["rows"]
    assert [r["algorithm"] for r in rows] == [
        "progressive",
        "ratio 2:1",
        "predictive",
        "known ends",
        "oracle",
    ]
    assert {
        "steady_occupancy",
        "steady_abandon_rate",
        "steady_gap",
        "idle_by_cause",
        "steady_idle_by_cause",
    } <= set(rows[2])
    assert run([*SMALL, "--warmup", "1"]) == 0
    out = capsys.readouterr().out
    assert "steady occ" in out and "idle points by cause" in out


def test_known_answers_adds_a_row_and_with_known_ends_the_pacer_told_both(capsys):
    assert run([*SMALL, "--known-answers", "--known-ends", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["algorithm"] for r in rows] == [
        "progressive",
        "ratio 2:1",
        "predictive",
        "known ends",
        "known answers",
        "known both",
        "oracle",
    ]


def test_fixed_risk_runs_predictive_without_the_guard(capsys):
    assert run([*SMALL, "--fixed-risk", "0.2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["fixed_risk"] == 0.2
    assert run([*SMALL, "--fixed-risk", "2"]) == 2


def test_the_guard_runs_as_in_the_engine_unless_planned(capsys):
    assert run([*SMALL, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["planned"] is False
    assert run([*SMALL, "--planned", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["planned"] is True


@pytest.mark.parametrize(
    "extra",
    [
        ["--hours", "0"],
        ["--handle-times", "8"],
        ["--limit", "2"],
        ["--warmup", "3"],
        ["--warmup", "-1"],
    ],
)
def test_bad_arguments_exit_2(extra, capsys):
    assert run([*SMALL, *extra]) == 2


@pytest.mark.parametrize(
    ("text", "rates"), [("15,30,60", [0.15, 0.3, 0.6]), ("0.15,0.3", [0.15, 0.3]), ("60%", [0.6])]
)
def test_answer_rates_as_percent_or_fraction(text, rates):
    assert simulator_cli._rates(text) == pytest.approx(rates)
