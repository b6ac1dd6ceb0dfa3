"""Learning the risk model: L2-regularised logistic regression (numpy, Newton/IRLS) over
per-customer records, with a held-out split for AUC and calibration. Pure: records and
labels in, a ``Model`` and a report out.

A record maps column -> value. Columns whose values are all 0/1 become ``tag`` terms
(weights are log-odds, as in ``skills/risk-tags.yaml``), other numeric columns are
standardised (``numeric`` terms keep their mean and spread), text columns are one-hot
(``category`` terms ``column=level``, levels seen at least ``MIN_LEVEL`` times in training;
a column with more than ``MAX_LEVELS`` levels is left out). Constant columns are left out.
Missing numeric values count as the mean.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.profiles.risk.score import Model, Term, fingerprint

Record = Mapping[str, Any]
MIN_LEVEL, MAX_LEVELS = 5, 50


class TrainError(ValueError):
    """Training cannot go on (too little data, one class only); the message says why."""


@dataclass
class Report:
    rows: int
    train_rows: int
    test_rows: int
    positives: int
    auc: float
    brier: float
    log_loss: float
    base_rate: float
    reliability: list[dict[str, float]]
    dropped: dict[str, str] = field(default_factory=dict)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def design(records: Sequence[Record]) -> tuple[list[Term], dict[str, str]]:
    """Terms (weights 0) fitted on ``records``; and the columns left out, with why."""
    columns = sorted({k for r in records for k in r})
    terms: list[Term] = []
    dropped: dict[str, str] = {}
    for col in columns:
        values = [r.get(col) for r in records]
        present = [v for v in values if v is not None and v != ""]
        if not present:
            dropped[col] = "empty"
        elif all(_is_num(v) or isinstance(v, bool) for v in present):
            nums = np.array([float(v) for v in present])
            if nums.std() == 0:
                dropped[col] = "constant"
            elif set(np.unique(nums)) <= {0.0, 1.0}:
                terms.append(Term(col, "tag", 0.0))
            else:
                terms.append(Term(col, "numeric", 0.0, float(nums.mean()), float(nums.std())))
        else:
            counts = Counter(str(v) for v in present)
            if len(counts) > MAX_LEVELS:
                dropped[col] = f"{len(counts)} distinct values (more than {MAX_LEVELS})"
                continue
            levels = sorted(lv for lv, n in counts.items() if n >= MIN_LEVEL)
            if len(counts) == 1 or not levels:
                dropped[col] = (
                    "constant" if len(counts) == 1 else f"every value rarer than {MIN_LEVEL} rows"
                )
                continue
            terms += [Term(f"{col}={lv}", "category", 0.0) for lv in levels]
    return terms, dropped


def matrix(records: Sequence[Record], terms: Sequence[Term]) -> np.ndarray:
    """Design matrix: a column of ones (intercept), then one column per term."""
    x = np.zeros((len(records), len(terms) + 1))
    x[:, 0] = 1.0
    for j, t in enumerate(terms, start=1):
        if t.kind == "category":
            col, _, level = t.name.partition("=")
            x[:, j] = [1.0 if str(r.get(col, "")) == level else 0.0 for r in records]
        elif t.kind == "tag":
            x[:, j] = [float(r.get(t.name) or 0.0) for r in records]
        else:
            x[:, j] = [
                (float(v) - t.mean) / t.std if v is not None and _is_num(v) else 0.0
                for v in (r.get(t.name) for r in records)
            ]
    return x


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iterations: int = 50) -> np.ndarray:
    """Newton-Raphson (IRLS) for logistic regression with an L2 penalty on all but the
    intercept; returns the weights (intercept first)."""
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -35, 35)))
        grad = x.T @ (y - p) - penalty * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w += step
        if np.max(np.abs(step)) < 1e-7:
            break
    return w


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    positives = float(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    _, inverse, counts = np.unique(p, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Calibration table: customers sorted by predicted risk in ``bins`` equal groups."""
    order = np.argsort(p, kind="mergesort")
    out = []
    for i, idx in enumerate(np.array_split(order, bins), start=1):
        if len(idx):
            out.append(
                {
                    "bin": i,
                    "n": len(idx),
                    "predicted": round(float(p[idx].mean()), 4),
                    "observed": round(float(y[idx].mean()), 4),
                }
            )
    return out


def train(
    records: Sequence[Record],
    labels: Sequence[int],
    source: str,
    test_share: float = 0.25,
    seed: int = 0,
    l2: float = 1.0,
    now: float | None = None,
) -> tuple[Model, Report]:
    """Fit on a random ``1 - test_share`` of the records, report on the rest."""
    y_all = np.asarray(labels, dtype=float)
    n = len(records)
    if not 0.0 < test_share < 1.0:
        raise TrainError("test share must be between 0 and 1")
    if n < 20 or y_all.sum() < 2 or y_all.sum() > n - 2:
        raise TrainError(
            f"need at least 20 customers with both churned and retained ones "
            f"(got {n}, {int(y_all.sum())} churned)"
        )
    order = np.random.default_rng(seed).permutation(n)
    cut = max(1, round(n * test_share))
    test, fit_idx = order[:cut], order[cut:]
    rows = [records[i] for i in fit_idx]
    terms, dropped = design(rows)
    x, y = matrix(rows, terms), y_all[fit_idx]
    if y.sum() == 0 or y.sum() == len(y):
        raise TrainError("the training split holds one class only; use more data")
    w = fit(x, y, l2)
    learned = tuple(
        Term(t.name, t.kind, round(float(wj), 6), t.mean, t.std)
        for t, wj in zip(terms, w[1:], strict=True)
    )
    xt, yt = matrix([records[i] for i in test], terms), y_all[test]
    pt = 1.0 / (1.0 + np.exp(-np.clip(xt @ w, -35, 35)))
    eps = 1e-12
    report = Report(
        rows=n,
        train_rows=len(fit_idx),
        test_rows=len(test),
        positives=int(y_all.sum()),
        auc=round(auc(yt, pt), 4),
        brier=round(float(np.mean((pt - yt) ** 2)), 4),
        log_loss=round(float(-np.mean(yt * np.log(pt + eps) + (1 - yt) * np.log(1 - pt + eps))), 4),
        base_rate=round(float(y_all.mean()), 4),
        reliability=reliability(yt, pt),
        dropped=dropped,
    )
    metrics = {
        "auc": report.auc,
        "brier": report.brier,
        "rows": n,
        "test_rows": report.test_rows,
        "base_rate": report.base_rate,
    }
    model = Model(
        round(float(w[0]), 6),
        learned,
        fingerprint(float(w[0]), learned),
        source,
        now if now is not None else time.time(),
        metrics,
    )
    return model, report
