"""Smoke run of benchmarks/churn.py on generated exports (figures, no timing)."""

from __future__ import annotations

from pathlib import Path

from benchmarks import churn


def test_churn_benchmark_on_generated_exports(tmp_path: Path) -> None:
    churn.generate(tmp_path, 600)
    results = {r["file"]: r for r in churn.run(tmp_path)}
    assert set(results) == {
        "clean.csv",
        "latin1-semicolon.csv",
        "sorted-with-number.csv",
        "blanks.csv",
    }
    assert all(0.55 < r["auc"] < 0.9 for r in results.values()), results
    sorted_file = results["sorted-with-number.csv"]
    assert "Kundennummer" in sorted_file["left_out"] and sorted_file["plain_lr_auc"] > 0.99
