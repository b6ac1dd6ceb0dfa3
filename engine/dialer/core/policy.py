"""A campaign's policy: what the supervisor sets, checked, and turned into the core's types.

Pure. ``parse(data, defaults)`` reads the JSON a campaign is created with (every field
optional) and raises ``InvalidRequest`` naming the field (``policy.window.start``...);
``CampaignPolicy.compliance()`` and ``.guard()`` give ``compliance.Policy`` and
``guard.GuardConfig``. Stored as JSON in the campaign row (``as_dict``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.dialer.core.actions import MIN_RING_SECONDS
from engine.dialer.core.compliance import CallingWindow, Policy
from engine.dialer.core.guard import DAY, QUIET_AFTER_ABANDON, GuardConfig
from engine.errors import InvalidRequest

RETRY_OUTCOMES = ("busy", "no-answer", "machine", "failed")
DEFAULT_RETRY = {"busy": 600.0, "no-answer": 7200.0, "machine": 14400.0, "failed": 900.0}
WINDOWS = {"US": 30 * DAY, "UK": DAY}
FIELDS = (
    "window",
    "max_attempts",
    "retry_seconds",
    "ring_seconds",
    "machine",
    "abandon_limit",
    "abandon_window",
    "timezone",
)


@dataclass(frozen=True)
class CampaignPolicy:
    start: str = "09:00"  # calling window, in each contact's local time
    end: str = "20:00"
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)  # 0 = Monday
    max_attempts: int = 6
    retry_seconds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RETRY))
    ring_seconds: float = 25.0
    machine: str = "message"  # message: leave it, contact done; retry: call again
    abandon_limit: float = 0.03
    abandon_window: str = "US"  # US: 30 days per campaign; UK: 24 h
    timezone: str = "UTC"  # for contacts without a time zone

    def compliance(self) -> Policy:
        window = CallingWindow(_clock(self.start), _clock(self.end), frozenset(self.weekdays))
        retry = {k: timedelta(seconds=v) for k, v in self.retry_seconds.items()}
        retry.update(answered=timedelta(hours=24), abandoned=timedelta(0))  # 72 h: its own rule
        return Policy(window, self.max_attempts, retry, MIN_RING_SECONDS, QUIET_AFTER_ABANDON)

    def guard(self) -> GuardConfig:
        return GuardConfig(limit=self.abandon_limit, window=WINDOWS[self.abandon_window])

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["weekdays"] = list(self.weekdays)
        return data


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _number(data: dict[str, Any], key: str, low: float, high: float, where: str) -> float:
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidRequest(
            f"{where}.{key} must be a number from {low:g} to {high:g}",
            field=f"{where}.{key}",
            value=value,
        )
    return float(value)


def _window(data: dict[str, Any], out: dict[str, Any]) -> None:
    window = data.get("window", {})
    if not isinstance(window, dict):
        raise InvalidRequest("policy.window must be an object", field="policy.window")
    for key in ("start", "end"):
        if key in window:
            value = window[key]
            try:
                _clock(value)
            except (ValueError, AttributeError, TypeError):
                raise InvalidRequest(
                    f"policy.window.{key} must be HH:MM", field=f"policy.window.{key}", value=value
                ) from None
            out[key] = value
    if "weekdays" in window:
        days = window["weekdays"]
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, int) and 0 <= d <= 6 for d in days)
        ):
            raise InvalidRequest(
                "policy.window.weekdays must list days 0 (Monday) to 6",
                field="policy.window.weekdays",
                value=days,
            )
        out["weekdays"] = tuple(sorted(set(days)))


def _scalars(data: dict[str, Any], out: dict[str, Any]) -> None:
    if "max_attempts" in data:
        out["max_attempts"] = int(_number(data, "max_attempts", 1, 50, "policy"))
    if "ring_seconds" in data:
        out["ring_seconds"] = _number(data, "ring_seconds", MIN_RING_SECONDS, 120, "policy")
    if "abandon_limit" in data:
        out["abandon_limit"] = _number(data, "abandon_limit", 0.001, 0.5, "policy")
    for key, allowed in (("machine", ("message", "retry")), ("abandon_window", tuple(WINDOWS))):
        if key in data:
            if data[key] not in allowed:
                raise InvalidRequest(
                    f"policy.{key} must be one of {list(allowed)}",
                    field=f"policy.{key}",
                    value=data[key],
                )
            out[key] = data[key]
    if "timezone" in data:
        if not valid_timezone(data["timezone"]):
            raise InvalidRequest(
                "policy.timezone is not an IANA time zone",
                field="policy.timezone",
                value=data["timezone"],
            )
        out["timezone"] = data["timezone"]


def parse(data: Any, defaults: CampaignPolicy = CampaignPolicy()) -> CampaignPolicy:
    """The policy from a request body's ``policy`` object; missing fields keep ``defaults``."""
    if data is None:
        return defaults
    if not isinstance(data, dict):
        raise InvalidRequest("policy must be an object", field="policy")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise InvalidRequest(f"policy has unknown fields: {unknown}", field=f"policy.{unknown[0]}")
    out = defaults.as_dict()
    out["weekdays"] = tuple(out["weekdays"])
    _window(data, out)
    _scalars(data, out)
    retry = data.get("retry_seconds", {})
    if not isinstance(retry, dict) or set(retry) - set(RETRY_OUTCOMES):
        raise InvalidRequest(
            f"policy.retry_seconds takes the outcomes {list(RETRY_OUTCOMES)}",
            field="policy.retry_seconds",
            value=retry,
        )
    out["retry_seconds"] = {
        **out["retry_seconds"],
        **{k: _number(retry, k, 0, 30 * DAY, "policy.retry_seconds") for k in retry},
    }
    if _clock(out["start"]) >= _clock(out["end"]):
        raise InvalidRequest(
            "policy.window.start must be before policy.window.end", field="policy.window.start"
        )
    return CampaignPolicy(**out)


def from_dict(data: dict[str, Any]) -> CampaignPolicy:
    """A stored policy (``as_dict``) back."""
    return CampaignPolicy(**{**data, "weekdays": tuple(data.get("weekdays", range(7)))})


def valid_timezone(name: Any) -> bool:
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
