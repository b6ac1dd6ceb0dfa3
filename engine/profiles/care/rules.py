"""Proactive care: rules (``skills/care-rules.yaml``) triggered by a customer's events,
not by their risk tier. Pure: an event, the customer's recent matching events, the causes
already served, consent and ``now`` in; decisions out. The adapter (``service.py``)
records, delivers and remembers.

    quiet_hours: {start: "21:00", end: "08:00"}   # customer's local time
    default_timezone: Asia/Shanghai                # when the profile has none
    rules:
      - name: delivery-delay
        event: delivery.delayed                    # event type
        match: {carrier: sf}                       # event fields equal to these (optional)
        at_least: {delay_hours: 2}                 # numeric fields at least (optional)
        cause: [order_id]                          # event fields naming the cause
        action: notify                             # notify | discount-code | escalate
        channel: sms                               # sms | email | push | supervisor
        message: "Order {order_id} is {delay_hours} h late. Live status: {status_url}"
        offer: {kind: coupon, value: 20}
      - name: promotion-browsed
        event: page.viewed
        match: {page_kind: promotion}
        cause: [page_id]
        repeat: {times: 3, within_days: 7, unless: order.placed}
        action: discount-code

``repeat`` fires on the ``times``-th matching event with the same cause within the window,
unless an ``unless`` event came after the first of them. Each rule fires once per cause
and customer. Customers who opted out get nothing. Customer-facing actions wait for the
end of the customer's quiet hours; ``escalate`` goes to supervisors at once.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.profiles import ruleset
from engine.profiles.ruleset import RuleFileError
from engine.skills.loader import Doc

DAY = 86400.0
HHMM = {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$"}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["rules"],
    "properties": {
        "quiet_hours": {
            "type": "object",
            "additionalProperties": False,
            "required": ["start", "end"],
            "properties": {"start": HHMM, "end": HHMM},
        },
        "default_timezone": {"type": "string"},
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "event", "cause", "action"],
                "properties": {
                    "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"},
                    "event": {"type": "string", "minLength": 1},
                    "match": {
                        "type": "object",
                        "additionalProperties": {"type": ["string", "number", "boolean"]},
                    },
                    "at_least": {"type": "object", "additionalProperties": {"type": "number"}},
                    "cause": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "minLength": 1},
                    },
                    "repeat": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["times", "within_days"],
                        "properties": {
                            "times": {"type": "integer", "minimum": 2},
                            "within_days": {"type": "number", "exclusiveMinimum": 0},
                            "unless": {"type": "string"},
                        },
                    },
                    "action": {"enum": ["notify", "discount-code", "escalate"]},
                    "channel": {"enum": ["sms", "email", "push", "supervisor"]},
                    "message": {"type": "string"},
                    "offer": {"type": "object"},
                },
            },
        },
    },
}

Action = Literal["notify", "discount-code", "escalate"]
Status = Literal["send", "deferred"]


@dataclass(frozen=True)
class CareRule:
    name: str
    on: str
    cause: tuple[str, ...]
    action: Action
    channel: str
    message: str = ""
    offer: Mapping[str, Any] = field(default_factory=dict)
    match: Mapping[str, Any] = field(default_factory=dict)
    at_least: Mapping[str, float] = field(default_factory=dict)
    repeat_times: int = 1
    within_days: float = 0.0
    unless: str | None = None

    @property
    def contacts_customer(self) -> bool:
        return self.action != "escalate"

    @property
    def watched(self) -> frozenset[str]:
        """Event types whose history this rule needs."""
        return frozenset({self.on} | ({self.unless} if self.unless else set()))


@dataclass(frozen=True)
class CareRules:
    rules: tuple[CareRule, ...]
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    default_timezone: str = "Asia/Shanghai"

    @property
    def watched(self) -> frozenset[str]:
        """Event types any rule fires on or looks back at."""
        return frozenset().union(*(r.watched for r in self.rules)) if self.rules else frozenset()

    @property
    def remembered(self) -> frozenset[str]:
        """Event types a ``repeat`` rule counts or checks for (kept as history)."""
        return (
            frozenset().union(*(r.watched for r in self.rules if r.repeat_times > 1))
            if self.rules
            else frozenset()
        )


@dataclass(frozen=True)
class CareEvent:
    type: str
    at: float
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Customer:
    customer_id: str
    opted_out: bool = False
    timezone: str | None = None


@dataclass(frozen=True)
class Decision:
    """A rule fired: what to do, for which cause, and when (``due`` = now unless quiet)."""

    rule: str
    cause: str
    action: Action
    channel: str
    message: str
    offer: Mapping[str, Any]
    status: Status
    due: float


def _hhmm(value: str) -> time:
    h, m = value.split(":")
    return time(int(h), int(m))


def build(doc: Doc) -> CareRules:
    data = doc.data
    issues: list[str] = []
    tz = data.get("default_timezone", "Asia/Shanghai")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        issues.append(f"{doc.mark(['default_timezone'])}: unknown time zone {tz!r}")
    rules, seen = [], set()
    for i, raw in enumerate(data["rules"]):
        if raw["name"] in seen:
            issues.append(f"{doc.mark(['rules', i, 'name'])}: duplicate name {raw['name']!r}")
        seen.add(raw["name"])
        if raw["action"] != "escalate" and not raw.get("message"):
            issues.append(
                f"{doc.mark(['rules', i], key=True)}: a customer-facing action needs a message"
            )
        if raw["action"] == "escalate" and raw.get("channel", "supervisor") != "supervisor":
            issues.append(
                f"{doc.mark(['rules', i, 'channel'])}: escalate goes to the supervisor channel"
            )
        rep = raw.get("repeat") or {}
        rules.append(
            CareRule(
                name=raw["name"],
                on=raw["event"],
                cause=tuple(raw["cause"]),
                action=raw["action"],
                channel=raw.get("channel", "supervisor" if raw["action"] == "escalate" else "sms"),
                message=raw.get("message", ""),
                offer=dict(raw.get("offer") or {}),
                match=dict(raw.get("match") or {}),
                at_least=dict(raw.get("at_least") or {}),
                repeat_times=int(rep.get("times", 1)),
                within_days=float(rep.get("within_days", 0)),
                unless=rep.get("unless"),
            )
        )
    if issues:
        raise RuleFileError(issues)
    qh = data.get("quiet_hours") or {"start": "21:00", "end": "08:00"}
    return CareRules(tuple(rules), _hhmm(qh["start"]), _hhmm(qh["end"]), tz)


def parse(text: str, path: str = "care-rules.yaml") -> CareRules:
    return ruleset.parse(text, path, SCHEMA, build)


def load(path: str | Path) -> CareRules:
    return ruleset.load(path, SCHEMA, build)


# -- evaluation ---------------------------------------------------------------------------


def _applies(rule: CareRule, event: CareEvent) -> bool:
    if event.type != rule.on:
        return False
    if any(event.data.get(k) != v for k, v in rule.match.items()):
        return False
    for key, low in rule.at_least.items():
        value = event.data.get(key)
        if not isinstance(value, int | float) or value < low:
            return False
    return all(event.data.get(k) not in (None, "") for k in rule.cause)


def cause_of(rule: CareRule, event: CareEvent) -> str:
    return "|".join(str(event.data[k]) for k in rule.cause)


def _repeated(rule: CareRule, event: CareEvent, history: Sequence[CareEvent]) -> bool:
    if rule.repeat_times <= 1:
        return True
    cause = cause_of(rule, event)
    since = event.at - rule.within_days * DAY
    same = sorted(
        [
            e.at
            for e in history
            if since <= e.at <= event.at
            and e is not event
            and _applies(rule, e)
            and cause_of(rule, e) == cause
        ]
        + [event.at]
    )
    if len(same) < rule.repeat_times:
        return False
    first = same[-rule.repeat_times]
    return not (
        rule.unless and any(e.type == rule.unless and first <= e.at <= event.at for e in history)
    )


def quiet_until(rules: CareRules, now: float, timezone: str | None) -> float | None:
    """End of the customer's quiet hours (epoch seconds) if ``now`` falls inside them."""
    try:
        zone = ZoneInfo(timezone or rules.default_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(rules.default_timezone)
    local = datetime.fromtimestamp(now, zone)
    start, end, t = rules.quiet_start, rules.quiet_end, local.time()
    if start == end:
        return None
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, zone).timestamp()


def _render(template: str, data: Mapping[str, Any], offer: Mapping[str, Any]) -> str:
    values = {**offer, **data}
    return string.Formatter().vformat(template, (), _Missing(values))


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def evaluate(
    rules: CareRules,
    customer: Customer,
    event: CareEvent,
    history: Iterable[CareEvent],
    fired: Iterable[tuple[str, str]],
    now: float,
    new_code: Callable[[], str] = lambda: "",
) -> list[Decision]:
    """Rules ``event`` fires for ``customer``. ``history`` holds the customer's earlier
    watched events; ``fired`` the (rule, cause) pairs already served; ``new_code`` makes a
    discount code (``{code}`` in the message) for ``discount-code`` rules."""
    if customer.opted_out:
        return []
    done = set(fired)
    past = list(history)
    out = []
    for rule in rules.rules:
        if not _applies(rule, event):
            continue
        cause = cause_of(rule, event)
        if (rule.name, cause) in done or not _repeated(rule, event, past):
            continue
        quiet = quiet_until(rules, now, customer.timezone) if rule.contacts_customer else None
        offer = dict(rule.offer)
        if rule.action == "discount-code":
            offer["code"] = new_code()
        message = _render(rule.message or f"{rule.name}: {cause}", event.data, offer)
        out.append(
            Decision(
                rule.name,
                cause,
                rule.action,
                rule.channel,
                message,
                offer,
                "deferred" if quiet else "send",
                quiet or now,
            )
        )
    return out
