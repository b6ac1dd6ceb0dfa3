"""Which contact to call first. Pure: rows and ``now`` in, the same rows in calling order.

A contact may carry a due time (``due_at``: a high-risk callback must be made within
24 h of the risk change). Order:

1. contacts due within ``URGENT`` (2 h) or overdue, earliest due first: a deadline
   beats value;
2. then by ``priority`` (risk x value for callbacks, the CSV's priority for manual
   campaigns), highest first;
3. then the earlier due time, then the order they were added (``id``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

URGENT = 2 * 3600.0


def sort_key(row: Mapping[str, Any], now: float, urgent: float = URGENT) -> tuple[Any, ...]:
    due = row.get("due_at")
    due_f = float(due) if due is not None else math.inf
    pressing = due_f - now <= urgent
    return (
        0 if pressing else 1,
        due_f if pressing else 0.0,
        -float(row.get("priority") or 0.0),
        due_f,
        row.get("id") or 0,
    )


def order(
    rows: Iterable[Mapping[str, Any]],
    now: float,
    urgent: float = URGENT,
) -> list[Mapping[str, Any]]:
    return sorted(rows, key=lambda r: sort_key(r, now, urgent))


def callback_priority(score: float | None, value: float | None) -> float:
    """Risk x value, the callbacks' priority when the risk side left none."""
    return float(score or 0.0) * max(float(value or 0.0), 1.0)
