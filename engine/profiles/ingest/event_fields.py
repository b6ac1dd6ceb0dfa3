"""Checks for the fields of profile events: each takes a JSON value and returns it
normalised, or raises ValueError with the reason (the caller adds the field name).

``kind_of`` tells the CSV import how to read a cell for a field (``int``, ``number``,
``time``, ``bool``, ``list`` or ``str``), since CSV has only strings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.profiles.ingest import phones

Check = Callable[[Any], Any]
LATEST = 4102444800.0  # 2100-01-01: later times are typos, not plans
MAX_ID, MAX_SHORT, MAX_TEXT, MAX_LIST = 200, 500, 20000, 100
_LANG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def ident(value: Any) -> str:
    """An identifier: a non-empty string (or an integer) of at most 200 characters."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    if len(value) > MAX_ID:
        raise ValueError(f"must be at most {MAX_ID} characters")
    return value.strip()


def short(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if len(value) > MAX_SHORT:
        raise ValueError(f"must be at most {MAX_SHORT} characters")
    return value.strip()


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if len(value) > MAX_TEXT:
        raise ValueError(f"must be at most {MAX_TEXT} characters")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def count(value: Any) -> int:
    """An integer >= 0 (a float with no fraction is accepted)."""
    if _is_number(value) and float(value).is_integer() and value >= 0:
        return int(value)
    raise ValueError("must be an integer >= 0")


def positive_int(value: Any) -> int:
    if _is_number(value) and float(value).is_integer() and value >= 1:
        return int(value)
    raise ValueError("must be an integer >= 1")


def amount(value: Any) -> float:
    if not _is_number(value) or not math.isfinite(value) or value < 0:
        raise ValueError("must be a number >= 0")
    return float(value)


def unit(value: Any) -> float:
    if not _is_number(value) or not 0.0 <= value <= 1.0:
        raise ValueError("must be a number from 0 to 1")
    return float(value)


def stars(value: Any) -> int:
    if not _is_number(value) or not float(value).is_integer() or not 1 <= value <= 5:
        raise ValueError("must be an integer from 1 to 5")
    return int(value)


def moment(value: Any) -> float:
    """Epoch seconds, or ISO-8601 with a zone (``2025-03-01T09:30:00+08:00``, ``...Z``)."""
    if _is_number(value):
        at = float(value)
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is neither epoch seconds nor ISO-8601") from None
        if parsed.tzinfo is None:
            raise ValueError(f"{value!r} has no zone (add Z or +08:00)")
        at = parsed.timestamp()
    else:
        raise ValueError("must be epoch seconds or an ISO-8601 string with a zone")
    if not math.isfinite(at) or not 0 < at < LATEST:
        raise ValueError("is out of range (after 1970, before 2100)")
    return at


@lru_cache(maxsize=1024)
def timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Shanghai)") from None
    return value


def zone(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("must be an IANA time zone name, e.g. Asia/Shanghai")
    return timezone(value)


def language(value: Any) -> str:
    if not isinstance(value, str) or not _LANG.match(value):
        raise ValueError("must be a language tag, e.g. zh or zh-CN")
    return value


def phone(value: Any) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError("must be a phone number string")
    return phones.normalise(str(value))


def email(value: Any) -> str:
    if not isinstance(value, str) or "@" not in value.strip()[1:-1] or " " in value.strip():
        raise ValueError("must be an email address")
    return value.strip().lower()


def one_of(*choices: str) -> Check:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return str(value)

    return check


def list_of(item: Check) -> Check:
    """A list whose items pass ``item``; a bad item is named by its index in the reason."""

    def check(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise ValueError("must be a list")
        if len(value) > MAX_LIST:
            raise ValueError(f"must have at most {MAX_LIST} items")
        out = []
        for i, v in enumerate(value):
            try:
                norm = item(v)
            except ValueError as exc:
                raise ValueError(f"item {i}: {exc}") from None
            if norm not in out:
                out.append(norm)
        return out

    return check


def kind_of(check: Check) -> str:
    """How the CSV import reads a cell for a field with this check."""
    if check in (count, positive_int, stars):
        return "int"
    if check in (amount, unit):
        return "number"
    if check is moment:
        return "time"
    if check is boolean:
        return "bool"
    if getattr(check, "__qualname__", "").startswith("list_of"):
        return "list"
    return "str"
