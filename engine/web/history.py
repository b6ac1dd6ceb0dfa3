"""The wallboard's last hour, pure: a bounded ring of samples, no I/O.

Every ``STEP`` seconds the engine takes one sample of what the wallboard shows (per queue:
waiting, service level, abandoned; the dialer's worst abandon rate) and writes it into a
ring of ``CAPACITY`` slots (240 x 15 s = 60 min). A sample's slot is ``floor(at / step)``;
it is stored under the field ``slot % capacity`` of one Redis hash, so the ring never holds
more than ``CAPACITY`` samples and needs no trimming; on reading, a field whose slot is older
than the last hour is an old lap and is left out. Several engines sharing Redis write the
same field for the same slot (the last write wins, and both saw the same Redis figures), so
the history is one per prefix, not one per engine, and survives an engine restart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

STEP = 15.0
CAPACITY = 240


def slot_of(at: float, step: float = STEP) -> int:
    return math.floor(at / step)


def ring_field(slot: int, capacity: int = CAPACITY) -> str:
    return str(slot % capacity)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def sample(
    at: float,
    queues: Iterable[Mapping[str, Any]],
    campaigns: Iterable[Mapping[str, Any]],
    step: float = STEP,
) -> dict[str, Any]:
    """One point of every series from the wallboard's own figures (``queue_metrics`` rows
    and dialer campaign statuses)."""
    rates = []
    for c in campaigns:
        progress = c.get("progress")
        abandon = progress.get("abandon") if isinstance(progress, Mapping) else None
        rate = _number(abandon.get("rate")) if isinstance(abandon, Mapping) else None
        if rate is not None:
            rates.append(rate)
    return {
        "slot": slot_of(at, step),
        "at": round(at, 3),
        "queues": {
            str(q["queue"]): {
                "waiting": int(q.get("waiting") or 0),
                "service_level": _number(q.get("service_level")),
                "abandoned": int(q.get("abandoned") or 0),
            }
            for q in queues
        },
        "abandon_rate": max(rates) if rates else None,
    }


def points(
    stored: Iterable[Mapping[str, Any]],
    now: float,
    step: float = STEP,
    capacity: int = CAPACITY,
) -> list[dict[str, Any]]:
    """The samples of the last ``capacity`` slots up to ``now``, oldest first; old laps of
    the ring, samples from the future (a skewed clock) and malformed rows are left out."""
    newest = slot_of(now, step)
    oldest = newest - capacity + 1
    seen: dict[int, Mapping[str, Any]] = {}
    for s in stored:
        slot = s.get("slot")
        if isinstance(slot, int) and oldest <= slot <= newest:
            seen[slot] = s
    return [dict(seen[k]) for k in sorted(seen)]
