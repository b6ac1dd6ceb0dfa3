"""``risk train --csv`` on CRM exports as they come (issue 16): encodings, delimiters,
identifier columns, label case, blank cells, and a one-line refusal for every bad file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.profiles.risk import train_data
from engine.profiles.risk.csv_import import identifier_reason
from engine.profiles.risk.train import train


def _customers(n: int, seed: int = 0) -> tuple[list[dict[str, object]], list[int]]:
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for _ in range(n):
        tickets = int(rng.poisson(1.5))
        inactive = float(rng.exponential(10))
        plan = str(rng.choice(["basic", "pro", "famille"]))
        logit = -1.5 + 0.6 * tickets + 0.05 * inactive + (0.5 if plan == "basic" else 0.0)
        labels.append(int(rng.random() < 1 / (1 + np.exp(-logit))))
        rows.append({"tickets": tickets, "days_inactive": round(inactive, 1), "plan": plan})
    return rows, labels


def _write(
    path: Path, header: list[str], rows: list[list[object]], sep: str = ",", encoding: str = "utf-8"
) -> Path:
    text = "\n".join(sep.join(str(c) for c in r) for r in [header, *rows]) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


def test_a_numeric_customer_number_in_a_file_sorted_by_label_is_left_out(tmp_path: Path) -> None:
    rows, labels = _customers(1200)
    order = sorted(range(len(rows)), key=lambda i: labels[i])
    numbers = np.random.default_rng(1).permutation(len(rows)) + 100000
    body = [
        [
            int(numbers[k]) if k % 2 else 300000 + k,
            rows[i]["tickets"],
            rows[i]["days_inactive"],
            rows[i]["plan"],
            "Yes" if labels[i] else "No",
        ]
        for k, i in enumerate(order)
    ]
    # random and in-order numbers mixed, all different: caught whatever the name
    path = _write(
        tmp_path / "sorted.csv", ["Kundennummer", "tickets", "days_inactive", "plan", "Churn"], body
    )
    data = train_data.from_csv(str(path))
    assert "Kundennummer" in data.dropped and "identifier" in data.dropped["Kundennummer"]
    assert "Kundennummer" not in data.records[0]
    _, report = train(data.records, data.labels, data.source)
    assert 0.6 < report.auc < 0.9  # the signal, not the row order


@pytest.mark.parametrize(
    ("name", "values", "numbers", "dropped"),
    [
        ("customerID", ["a"] * 3, None, True),
        ("客户编号", ["1"] * 3, [1.0] * 3, True),
        ("customer_number", ["1"] * 3, [1.0] * 3, True),
        ("id", ["1"] * 3, [1.0] * 3, True),
        ("paid", ["1", "0"] * 40, [1.0, 0.0] * 40, False),
        ("ref", [f"r{i}" for i in range(60)], None, True),
        ("monthly_charges", [f"{i}.5" for i in range(60)], [i + 0.5 for i in range(60)], True),
        (
            "monthly_charges",
            [str(i % 7 + 0.5) for i in range(60)],
            [i % 7 + 0.5 for i in range(60)],
            False,
        ),
        (
            "total",
            [str(v) for v in np.random.default_rng(0).random(60)],
            list(np.random.default_rng(0).random(60)),
            False,
        ),
    ],
)
def test_identifier_rule(
    name: str, values: list[str], numbers: list[float] | None, dropped: bool
) -> None:
    assert bool(identifier_reason(name, values, numbers)) is dropped


def test_latin1_semicolon_decimal_comma_and_label_case(tmp_path: Path) -> None:
    rows, labels = _customers(300, seed=3)
    body = [
        [
            f"Müller {i}",
            r["tickets"],
            str(r["days_inactive"]).replace(".", ","),
            "Crème" if r["plan"] == "basic" else r["plan"],
            y,
        ]
        for i, (r, y) in enumerate(zip(rows, labels, strict=True))
    ]
    path = _write(
        tmp_path / "latin1.csv",
        ["Nom", "Tickets", "Jours", "Offre", "CHURNED"],
        body,
        sep=";",
        encoding="latin-1",
    )
    data = train_data.from_csv(str(path))
    assert any("latin-1" in n and "semicolon" in n for n in data.notes)
    assert data.records[0]["Jours"] == pytest.approx(float(rows[0]["days_inactive"]))
    assert {r["Offre"] for r in data.records} >= {"Crème"}
    assert "Nom" in data.dropped and len(data.records) == 300


def test_chinese_export_in_gb18030_with_tabs(tmp_path: Path) -> None:
    rows, labels = _customers(120, seed=4)
    body = [
        [
            f"C{i:05d}",
            r["tickets"],
            {"basic": "基础", "pro": "专业", "famille": "家庭"}[str(r["plan"])],
            "是" if y else "否",
        ]
        for i, (r, y) in enumerate(zip(rows, labels, strict=True))
    ]
    path = _write(
        tmp_path / "gb.csv",
        ["客户编号", "投诉次数", "套餐", "流失"],
        body,
        sep="\t",
        encoding="gb18030",
    )
    data = train_data.from_csv(str(path))
    assert any("gb18030" in n and "tab" in n for n in data.notes)
    assert "客户编号" in data.dropped and {r["套餐"] for r in data.records} == {
        "基础",
        "专业",
        "家庭",
    }


def test_blank_cells_are_reported_with_what_fills_them(tmp_path: Path) -> None:
    rows, labels = _customers(100, seed=5)
    body = [
        [
            r["tickets"],
            "" if i % 10 == 0 else r["days_inactive"],
            "" if i % 25 == 0 else r["plan"],
            y,
        ]
        for i, (r, y) in enumerate(zip(rows, labels, strict=True))
    ]
    path = _write(tmp_path / "blanks.csv", ["tickets", "days_inactive", "plan", "churned"], body)
    notes = train_data.from_csv(str(path)).notes
    assert any(
        n.startswith("column days_inactive: 10 rows blank, counted as the mean") for n in notes
    )
    assert "column plan: 4 rows blank, counted as no category" in notes


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, [], "bad.csv: no such file"),
        (b"", [], "the file is empty"),
        (b"tickets,churned\n", [], "only a header, no customers"),
        (
            b"tickets,Churn_Flag\n1,1\n",
            [],
            "no column 'churned' (name it with --label; close: Churn_Flag",
        ),
        (b"tickets;churned\n1;1\n", ["--label", "left"], "no column 'left'"),
        (b"a b c\n1 2 3\n", [], "cannot tell how the columns are separated"),
        (b"caf\xe9,churned\n1,1\n", ["--encoding", "utf-8"], "not utf-8"),
        (b"a,churned\n1,1\n", ["--encoding", "klingon"], "unknown encoding 'klingon'"),
    ],
)
def test_every_refusal_is_one_line(
    tmp_path: Path, content: bytes | None, args: list[str], message: str
) -> None:
    path = tmp_path / "bad.csv"
    if content is not None:  # None: no file there
        path.write_bytes(content)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine",
            "risk",
            "train",
            "--csv",
            str(path),
            "--out",
            str(tmp_path / "m.json"),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[4],
        check=False,
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr.count("\n") == 1 and message in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
