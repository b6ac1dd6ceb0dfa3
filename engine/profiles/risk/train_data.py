"""Where ``risk train`` gets its labelled records.

- ``from_store``: every customer of the engine's store as of a cutoff (default: the last
  event minus the horizon): the tags of ``skills/risk-tags.yaml`` (1/0; intervention
  outcomes such as an accepted offer are tags too) and the features of
  ``facts.features_of``; the label is a ``customer.churned`` event within the horizon
  (60 days) after the cutoff. Customers who opted out of prediction, joined after the
  cutoff or had churned before it are left out.
- ``from_csv``: a CRM export with one row per customer, a churn label column and any
  feature columns (numbers, 0/1, true/false or text). Columns named like the engine's tags
  and features (``tickets-unresolved``, ``days_inactive``, ``plan``...) are the ones the
  engine can use when it scores. Encoding and delimiter are detected (or named), the label
  column is found case-insensitively, identifier columns are left out with why
  (``csv_import``), blank cells are reported per column. Rows with a bad label, a wrong
  number of cells or text in a numeric column are reported by line and skipped.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from tqdm import tqdm

from engine.profiles.risk import csv_import
from engine.profiles.risk.config import RiskConfig
from engine.profiles.risk.facts import DAY, facts_of, features_of, read_all
from engine.profiles.risk.tags import evaluate
from engine.profiles.risk.train import TrainError
from engine.profiles.schema import events

TRUE = {"1", "true", "yes", "y", "t", "churned", "是", "流失", "已流失", "ja", "oui", "sí", "si"}
FALSE = {"0", "false", "no", "n", "f", "retained", "", "否", "未流失", "nein", "non"}
NUMERIC_SHARE = 0.95
DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")  # 12,5 in a semicolon file


@dataclass
class Dataset:
    records: list[dict[str, Any]]
    labels: list[int]
    source: str
    skipped: list[str] = field(default_factory=list)  # "line N: reason" or counts
    cutoff: float | None = None
    dropped: dict[str, str] = field(default_factory=dict)  # column -> why (identifiers)
    notes: list[str] = field(default_factory=list)  # how the file was read, blank cells


def from_store(
    db: Any, config: RiskConfig, cutoff: float | None = None, horizon_days: float = 60.0
) -> Dataset:
    """Records of every customer as of ``cutoff`` (runs on the Database thread)."""
    horizon = horizon_days * DAY
    if cutoff is None:
        latest = db.execute(select(func.max(events.c.at))).scalar()
        if latest is None:
            raise TrainError("the store has no events to learn from (or use --csv)")
        cutoff = float(latest) - horizon
    print("reading the store...", file=sys.stderr, flush=True)
    rows = read_all(db)
    data = Dataset([], [], "store", cutoff=cutoff)
    left_out = {"opted out": 0, "joined after the cutoff": 0, "churned before the cutoff": 0}
    for cid, r in tqdm(
        rows.items(), total=len(rows), desc="customers", unit="", file=sys.stderr, disable=None
    ):  # a bar on a terminal only
        if not r.get("customer"):
            continue
        facts = facts_of(r, cid, cutoff)
        if facts.opted_out:
            left_out["opted out"] += 1
            continue
        if facts.created_at is not None and facts.created_at > cutoff:
            left_out["joined after the cutoff"] += 1
            continue
        if facts.churned_at is not None and facts.churned_at <= cutoff:
            left_out["churned before the cutoff"] += 1
            continue
        tags = evaluate(config.tags, facts, cutoff, config.words)
        record: dict[str, Any] = {name: int(name in tags) for name in config.tag_names}
        record.update(features_of(facts, cutoff))
        data.records.append(record)
        data.labels.append(
            int(facts.churned_at is not None and facts.churned_at <= cutoff + horizon)
        )
    data.skipped = [f"{n} customers {why}" for why, n in left_out.items() if n]
    return data


def _number(text: str, decimal_comma: bool = False) -> float | None:
    t = text.strip().lower()
    if t in ("true", "yes"):
        return 1.0
    if t in ("false", "no"):
        return 0.0
    if decimal_comma and DECIMAL_COMMA.match(t):
        t = t.replace(",", ".")
    try:
        return float(t)
    except ValueError:
        return None


def _label(text: str) -> int | None:
    t = text.strip().lower()
    return 1 if t in TRUE else 0 if t in FALSE and t else None


def _read(
    path: str, encoding: str | None, delimiter: str | None
) -> tuple[list[str], list[tuple[int, list[str]]], list[str], str]:
    """Header, (line, cells) of the non-blank rows, notes on how the file was read, and
    the delimiter."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise TrainError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise TrainError(f"{path}: a folder, not a CSV file") from None
    except OSError as exc:
        raise TrainError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if not raw.strip():
        raise TrainError(f"{path}: the file is empty")
    text, used = csv_import.decode(raw, path, encoding)
    d = csv_import.sniff(text, path, delimiter)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=d)
        header = [h.strip() for h in next(reader, [])]
        rows = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise TrainError(f"{path}: not readable as CSV ({exc})") from None
    if not rows:
        raise TrainError(f"{path}: only a header, no customers")
    notes = [f"read {path} as {used}, columns separated by {csv_import.DELIMITERS.get(d, repr(d))}"]
    return header, rows, notes, d


def _columns(
    header: list[str],
    label: str,
    good: list[tuple[int, dict[str, str]]],
    decimal_comma: bool,
    data: Dataset,
) -> tuple[list[str], set[str]]:
    """The feature columns and which are numeric; identifiers go to ``data.dropped``,
    blank cells to ``data.notes``."""
    numeric: set[str] = set()
    features = []
    for col in header:
        if col == label or not col:
            continue
        filled = [r[col].strip() for _, r in good if r[col].strip()]
        parsed = [v for v in (_number(c, decimal_comma) for c in filled) if v is not None]
        is_num = bool(filled) and len(parsed) >= NUMERIC_SHARE * len(filled)
        why = csv_import.identifier_reason(
            col, filled, parsed if is_num and len(parsed) == len(filled) else None
        )
        if why:
            data.dropped[col] = why
            continue
        features.append(col)
        if is_num:
            numeric.add(col)
        blank = len(good) - len(filled)
        if blank and filled:
            fill = (
                f"the mean of the training rows (about {sum(parsed) / len(parsed):.4g})"
                if is_num
                else "no category"
            )
            data.notes.append(f"column {col}: {blank} rows blank, counted as {fill}")
    return features, numeric


def from_csv(
    path: str, label: str | None = None, encoding: str | None = None, delimiter: str | None = None
) -> Dataset:
    """Records from a per-customer CSV; bad rows are reported in ``skipped`` by line,
    identifier columns in ``dropped``, blank cells and how the file was read in ``notes``.
    Every refusal is a ``TrainError`` with a one-line message."""
    header, rows, notes, d = _read(path, encoding, delimiter)
    label = csv_import.find_label(header, label, path)
    data = Dataset([], [], f"csv:{path}", notes=notes)
    good = []
    for line, row in rows:
        if len(row) != len(header):
            data.skipped.append(f"line {line}: {len(row)} cells, the header has {len(header)}")
        else:
            good.append((line, dict(zip(header, row, strict=True))))
    features, numeric = _columns(header, label, good, d != ",", data)
    for line, cells in good:
        y = _label(cells[label])
        if y is None:
            data.skipped.append(
                f"line {line}: {label} {cells[label]!r} is not a churn label "
                f"(1/0, true/false, yes/no, 是/否)"
            )
            continue
        record: dict[str, Any] = {}
        problem = None
        for col in features:
            cell = cells[col].strip()
            if col in numeric:
                value = _number(cell, d != ",") if cell else None
                if cell and value is None:
                    problem = f"line {line}: {col} {cell!r} is not a number"
                    break
                record[col] = value
            else:
                record[col] = cell or None
        if problem:
            data.skipped.append(problem)
            continue
        data.records.append(record)
        data.labels.append(y)
    data.skipped.sort(key=lambda s: int(s.split()[1].rstrip(":")))
    return data
