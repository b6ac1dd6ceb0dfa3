"""Churn benchmark (issue 16): ``risk train --csv`` on CRM exports, held-out AUC next to a
plain logistic regression on the same split.

    .venv/bin/python benchmarks/churn.py FOLDER [--generate N] [--label COLUMN] [--json]

Every ``*.csv`` in FOLDER is read as ``risk train --csv`` reads it (encoding, delimiter,
label column, identifier columns) and trained on the same split as the command (seed 0,
25% held out). Next to it, a plain logistic regression (numpy, no penalty, numbers
standardised and text one-hot, every column but the label: what a naive import would
use, identifiers included) on the same rows and split. ``--generate N`` first writes
four generated exports of N customers into FOLDER (a clean one; Latin-1 with semicolons
and decimal commas; one sorted by label with a customer number in file order; one with blank
cells), so that CI can run it on material the repo makes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from engine.profiles.risk import csv_import, train_data
from engine.profiles.risk.train import TrainError, auc, fit, train

PLANS = ("basic", "pro", "famille")


def customers(n: int, seed: int = 0) -> tuple[list[dict[str, Any]], list[int]]:
    """Customers whose churn follows tickets, inactivity and plan (logistic, known)."""
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    for _ in range(n):
        tickets = int(rng.poisson(1.5))
        inactive = float(rng.exponential(10))
        plan = str(rng.choice(PLANS))
        charges = round(float(rng.normal(50, 15)), 2)
        logit = -1.5 + 0.6 * tickets + 0.05 * inactive + (0.5 if plan == "basic" else 0.0)
        labels.append(int(rng.random() < 1 / (1 + np.exp(-logit))))
        rows.append(
            {
                "tickets": tickets,
                "days_inactive": round(inactive, 1),
                "plan": plan,
                "charges": charges,
            }
        )
    return rows, labels


def generate(folder: Path, n: int, seed: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rows, labels = customers(n, seed)
    out = []

    def write(name: str, header: list[str], body: list[list[Any]], sep: str, enc: str) -> None:
        text = "\n".join(sep.join(str(c) for c in r) for r in [header, *body]) + "\n"
        (folder / name).write_bytes(text.encode(enc))
        out.append(folder / name)

    cols = ["tickets", "days_inactive", "plan", "charges"]
    write(
        "clean.csv",
        ["customerID", *cols, "Churn"],
        [
            [f"{7000 + i}-C", *(r[c] for c in cols), "Yes" if y else "No"]
            for i, (r, y) in enumerate(zip(rows, labels, strict=True))
        ],
        ",",
        "utf-8",
    )
    write(
        "latin1-semicolon.csv",
        ["Nom", "Tickets", "Jours", "Offre", "Montant", "CHURNED"],
        [
            [
                f"Müller {i}",
                r["tickets"],
                str(r["days_inactive"]).replace(".", ","),
                "Crème" if r["plan"] == "basic" else r["plan"],
                str(r["charges"]).replace(".", ","),
                y,
            ]
            for i, (r, y) in enumerate(zip(rows, labels, strict=True))
        ],
        ";",
        "latin-1",
    )
    order = sorted(range(n), key=lambda i: labels[i])
    write(
        "sorted-with-number.csv",
        ["Kundennummer", *cols, "churned"],
        [[100000 + k, *(rows[i][c] for c in cols), labels[i]] for k, i in enumerate(order)],
        ",",
        "utf-8",
    )
    write(
        "blanks.csv",
        [*cols, "churned"],
        [
            [
                r["tickets"],
                "" if i % 10 == 0 else r["days_inactive"],
                r["plan"],
                "" if i % 7 == 0 else r["charges"],
                y,
            ]
            for i, (r, y) in enumerate(zip(rows, labels, strict=True))
        ],
        ",",
        "utf-8",
    )
    return out


def plain_auc(path: Path, label: str | None, seed: int = 0, share: float = 0.25) -> float:
    """Unpenalised logistic regression over every column of the same rows and split."""
    data = train_data.from_csv(str(path), label)
    header_rows = data.records
    if data.dropped:  # a naive import keeps the identifier columns: read them back
        ids = _identifier_values(path, list(data.dropped))
        header_rows = [{**r, **ids[i]} for i, r in enumerate(data.records)]
    columns = sorted({k for r in header_rows for k in r})
    n = len(header_rows)
    x = [np.ones(n)]
    for col in columns:
        values = [r.get(col) for r in header_rows]
        if all(v is None or isinstance(v, int | float) for v in values):
            v = np.array([np.nan if v is None else float(v) for v in values])
            v = np.where(np.isnan(v), np.nanmean(v), v)
            if v.std() > 0:
                x.append((v - v.mean()) / v.std())
        else:
            for level in sorted({str(v) for v in values if v is not None})[:50]:
                x.append(np.array([1.0 if str(v) == level else 0.0 for v in values]))
    design = np.column_stack(x)
    y = np.asarray(data.labels, dtype=float)
    order = np.random.default_rng(seed).permutation(n)
    cut = max(1, round(n * share))
    test, fit_idx = order[:cut], order[cut:]
    w = fit(design[fit_idx], y[fit_idx], l2=1e-6)
    return auc(y[test], design[test] @ w)


def _identifier_values(path: Path, columns: list[str]) -> list[dict[str, Any]]:
    text, _ = csv_import.decode(path.read_bytes(), str(path))
    reader = csv.DictReader(io.StringIO(text), delimiter=csv_import.sniff(text, str(path)))
    out = []
    for row in reader:
        values: dict[str, Any] = {}
        for c in columns:
            cell = (row.get(c) or "").strip()
            try:
                values[c] = float(cell)
            except ValueError:
                values[c] = cell or None
        out.append(values)
    return out


def run(folder: Path, label: str | None = None) -> list[dict[str, Any]]:
    results = []
    for path in sorted(folder.glob("*.csv")):
        try:
            data = train_data.from_csv(str(path), label)
            _, report = train(data.records, data.labels, data.source)
        except TrainError as exc:
            results.append({"file": path.name, "error": str(exc)})
            continue
        results.append(
            {
                "file": path.name,
                "rows": report.rows,
                "auc": report.auc,
                "plain_lr_auc": round(plain_auc(path, label), 4),
                "left_out": data.dropped,
                "notes": data.notes[1:],
                "read_as": data.notes[0] if data.notes else "",
            }
        )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--generate", type=int, metavar="N", help="write generated CSVs first")
    parser.add_argument("--label", help="label column (default: found as risk train does)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.generate:
        generate(args.folder, args.generate)
    results = run(args.folder, args.label)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return 0
    print(f"{'file':<28} {'rows':>6} {'AUC':>7} {'plain LR':>9}  left out")
    for r in results:
        if "error" in r:
            print(f"{r['file']:<28} error: {r['error']}")
            continue
        left = ", ".join(f"{c} ({why})" for c, why in r["left_out"].items()) or "-"
        print(f"{r['file']:<28} {r['rows']:>6} {r['auc']:>7.4f} {r['plain_lr_auc']:>9.4f}  {left}")
        for note in r["notes"]:
            print(f"{'':<28} {note}")
    print("AUC: risk train's held-out AUC (seed 0, 25%); plain LR: every column including")
    print("identifiers, unpenalised, same rows and split")
    return 0


if __name__ == "__main__":
    sys.exit(main())
