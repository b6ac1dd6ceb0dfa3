"""Profile events: the envelope other systems send, checked and normalised. Pure.

``parse(raw, now)`` returns an ``Event`` or raises ``EventError(field, reason)`` naming
the first bad field (``type``, ``at``, ``data.stars``, ``data.phones`` ...). The envelope:

    {"id": "...", "type": "order.placed", "customer_id": "...", "at": 1735700000,
     "source": "shop", "data": {"order_id": "A1", "amount": 99.5}}

``customer_id`` may be left out when ``data`` names a contact point the store knows
(``phone``, ``email``, ``chat_id``, ``messaging_id``; for ``customer.updated`` also its
``phones``/``emails``/``chat_ids``/``messaging_ids``): the store resolves it. ``at`` is
epoch seconds or ISO-8601 with a zone, ``now`` when absent. Fields of ``data`` not listed
in ``TYPES`` are kept in the stored event as they came.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.profiles.ingest import event_fields as f

CHANNELS = ("phone", "email", "chat", "messaging")
# field -> (check, required)
TYPES: dict[str, dict[str, tuple[f.Check, bool]]] = {
    "customer.updated": {
        "name": (f.short, False),
        "language": (f.language, False),
        "timezone": (f.zone, False),
        "preferred_style": (f.short, False),
        "plan": (f.short, False),
        "loyalty_level": (f.short, False),
        "loyalty_points": (f.count, False),
        "created_at": (f.moment, False),
        "phones": (f.list_of(f.phone), False),
        "emails": (f.list_of(f.email), False),
        "chat_ids": (f.list_of(f.ident), False),
        "messaging_ids": (f.list_of(f.ident), False),
    },
    "consent.changed": {
        "prediction_opt_out": (f.boolean, False),
        "contact_opt_out": (f.boolean, False),
    },
    "interaction": {
        "channel": (f.one_of(*CHANNELS), True),
        "conversation_id": (f.ident, True),
        "direction": (f.one_of("in", "out"), False),
        "topic": (f.short, False),
        "content": (f.text, False),
        "status": (f.one_of("open", "resolved"), False),
    },
    "order.placed": {
        "order_id": (f.ident, True),
        "amount": (f.amount, True),
        "product": (f.short, False),
        "status": (f.short, False),
    },
    "order.refunded": {
        "order_id": (f.ident, True),
        "amount": (f.amount, False),
        "product": (f.short, False),
        "status": (f.short, False),
    },
    "ticket.opened": {
        "ticket_id": (f.ident, False),
        "kind": (f.one_of("ticket", "complaint"), False),
        "subject": (f.short, False),
        "topic": (f.short, False),
    },
    "ticket.resolved": {"ticket_id": (f.ident, True)},
    "rating": {"stars": (f.stars, True), "channel": (f.short, False)},
    "login": {"channel": (f.short, False)},
    "page.viewed": {"page_id": (f.ident, True), "page_kind": (f.short, False)},
    "delivery.delayed": {
        "order_id": (f.ident, True),
        "delay_hours": (f.amount, False),
        "status_url": (f.short, False),
    },
    "intervention.outcome": {"intervention_id": (f.positive_int, True), "outcome": (f.short, True)},
    "call.transcript": {
        "call_id": (f.ident, True),
        "text": (f.text, False),
        "complaint_words": (f.list_of(f.short), False),
    },
    "call.emotion": {
        "call_id": (f.ident, True),
        "score": (f.unit, True),
        "label": (f.short, False),
    },
    "customer.churned": {"reason": (f.short, False)},
}
TYPES["inquiry"] = TYPES["interaction"]
TYPES["order.cancelled"] = TYPES["order.refunded"]
CONTACT_FIELDS = {
    "phone": ("phone", f.phone),
    "email": ("email", f.email),
    "chat_id": ("chat", f.ident),
    "messaging_id": ("messaging", f.ident),
}
LIST_CONTACTS = {
    "phones": "phone",
    "emails": "email",
    "chat_ids": "chat",
    "messaging_ids": "messaging",
}
CSV_KINDS = {
    name: f.kind_of(check) for spec in TYPES.values() for name, (check, _) in spec.items()
} | {"at": "time"}


class EventError(ValueError):
    """A bad event: ``field`` names what is wrong (``data.stars``), ``reason`` says how."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    customer_id: str | None  # None until the store resolves it from ``contacts``
    at: float
    source: str
    data: dict[str, Any]
    received_at: float
    contacts: tuple[tuple[str, str], ...] = field(default=())  # (kind, value) to resolve by

    def envelope(self) -> dict[str, Any]:
        """The event as a plain dict, ``at`` as epoch seconds (what listeners get)."""
        return {
            "id": self.id,
            "type": self.type,
            "customer_id": self.customer_id,
            "at": self.at,
            "source": self.source,
            "data": dict(self.data),
        }


def _checked(name: str, check: f.Check, value: Any) -> Any:
    try:
        return check(value)
    except ValueError as exc:
        raise EventError(name, str(exc)) from None


def _data(kind: str, raw: Any) -> dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise EventError("data", "must be a JSON object")
    data = dict(raw)
    for name, (check, required) in TYPES[kind].items():
        value = data.get(name)
        if value is None:
            if required:
                raise EventError(f"data.{name}", "is required")
            data.pop(name, None)
            continue
        data[name] = _checked(f"data.{name}", check, value)
    if kind == "consent.changed" and not {"prediction_opt_out", "contact_opt_out"} & set(data):
        raise EventError(
            "data.prediction_opt_out", "consent.changed needs prediction_opt_out or contact_opt_out"
        )
    return data


def _contacts(kind: str, data: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for name, (contact_kind, check) in CONTACT_FIELDS.items():
        if data.get(name) is not None:
            data[name] = _checked(f"data.{name}", check, data[name])
            out.append((contact_kind, data[name]))
    if kind == "customer.updated":
        out += [
            (contact_kind, v)
            for name, contact_kind in LIST_CONTACTS.items()
            for v in data.get(name, ())
        ]
    return tuple(out)


def parse(raw: Any, now: float) -> Event:
    """Check and normalise one envelope; raises ``EventError`` naming the first bad field."""
    if not isinstance(raw, Mapping):
        raise EventError("event", "must be a JSON object")
    if raw.get("id") is None:
        raise EventError("id", "is required (the sender's event ID)")
    event_id = _checked("id", f.ident, raw["id"])
    kind = raw.get("type")
    if kind is None:
        raise EventError("type", "is required")
    if kind not in TYPES:
        raise EventError("type", f"unknown event type {kind!r}; known: {', '.join(TYPES)}")
    at = now if raw.get("at") is None else _checked("at", f.moment, raw["at"])
    source = "" if raw.get("source") is None else _checked("source", f.short, raw["source"])
    data = _data(kind, raw.get("data"))
    contacts = _contacts(kind, data)
    customer_id = raw.get("customer_id")
    if customer_id is not None:
        customer_id = _checked("customer_id", f.ident, customer_id)
    elif not contacts:
        raise EventError(
            "customer_id",
            "is required (or a phone, email, chat_id or "
            "messaging_id in data that identifies the customer)",
        )
    return Event(event_id, kind, customer_id, at, source, data, now, contacts)
