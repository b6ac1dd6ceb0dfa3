"""Manual campaign contacts from CSV: ``number,customer_id,timezone,priority,name``.

Pure. ``parse(text)`` returns the good rows and, for every bad one, its line number and
why it was skipped; a bad row never costs the good ones. A first line that starts with
``number`` is the header. Only ``number`` is required: an empty time zone means the
campaign's default, an empty priority 0 (higher is called first).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from engine.dialer.core.policy import valid_timezone

COLUMNS = ("number", "customer_id", "timezone", "priority", "name")
MAX_ROWS = 100_000
_NUMBER = re.compile(r"^\+?\d{3,20}$")
_PUNCT = str.maketrans("", "", " -().")


@dataclass(frozen=True)
class Row:
    line: int
    number: str
    customer_id: str | None
    timezone: str | None
    priority: float
    name: str | None


@dataclass(frozen=True)
class LineError:
    line: int
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "reason": self.reason}


def normalise_number(raw: str) -> str | None:
    """Digits with an optional leading +, 3 to 20 of them; spaces, dashes, dots and
    parentheses are dropped. None when it is not a phone number."""
    number = raw.strip().translate(_PUNCT)
    return number if _NUMBER.match(number) else None


def _row(line: int, fields: list[str]) -> Row | LineError:
    if len(fields) > len(COLUMNS):
        return LineError(
            line, f"{len(fields)} fields, expected at most {len(COLUMNS)} ({','.join(COLUMNS)})"
        )
    number_raw, customer, zone, priority_raw, name = (
        [f.strip() for f in fields] + [""] * len(COLUMNS)
    )[: len(COLUMNS)]
    number = normalise_number(number_raw)
    if number is None:
        return LineError(
            line,
            f"number {number_raw!r} is not a phone number" if number_raw else "number is empty",
        )
    if zone and not valid_timezone(zone):
        return LineError(line, f"timezone {zone!r} is not an IANA time zone")
    try:
        priority = float(priority_raw) if priority_raw else 0.0
    except ValueError:
        return LineError(line, f"priority {priority_raw!r} is not a number")
    if priority != priority or abs(priority) > 1e9:
        return LineError(line, f"priority {priority_raw!r} is out of range")
    return Row(line, number, customer or None, zone or None, priority, name or None)


def parse(text: str) -> tuple[list[Row], list[LineError]]:
    rows: list[Row] = []
    errors: list[LineError] = []
    seen: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    for fields in reader:
        line = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue
        if line == 1 and fields[0].strip().lower() == "number":
            continue
        if len(rows) >= MAX_ROWS:
            errors.append(LineError(line, f"more than {MAX_ROWS} rows; split the file"))
            break
        result = _row(line, fields)
        if isinstance(result, LineError):
            errors.append(result)
        elif result.number in seen:
            errors.append(
                LineError(line, f"number {result.number} repeats line {seen[result.number]}")
            )
        else:
            seen[result.number] = line
            rows.append(result)
    return rows, errors
