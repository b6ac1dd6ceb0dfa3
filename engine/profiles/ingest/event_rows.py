"""What one parsed event writes to the profile store: named statements with their
parameters, in order. Pure; ``writes.py`` holds the statements (SQLAlchemy Core, built
once per dialect) and ``service.write_batch`` runs them.

Every event first records itself in ``events`` (``ON CONFLICT DO NOTHING``: an ID already
there makes it a duplicate and nothing else is written) and makes sure its customer exists
(a bare row; ``created_at`` is the earliest event seen unless ``customer.updated`` says
otherwise). Then, by type:

- ``customer.updated``: the given fields (others untouched; fields not in the schema go
  to ``attrs`` as JSON), contact points added (a number that belonged to another customer
  moves to this one). Each field is set only by an event at least as new as the one that
  last set it (``field_times``), worked out from the customer's row as it is
  (``customer_set``, read under a row lock).
- ``consent.changed``: ``prediction_opt_out`` / ``contact_opt_out`` and ``consent``,
  unless the consent on record is newer.
- ``interaction`` / ``inquiry``: one ``interactions`` row, ``kind`` = the type.
- ``order.*``: the order row (refunds and cancellations set its status).
- ``ticket.opened`` / ``ticket.resolved``: the ticket row.
- ``rating``, ``login``: one row each.
- ``intervention.outcome``: the intervention's outcome; an unknown ID is refused.
- the others (``page.viewed``, ``delivery.delayed``, ``call.*``, ``customer.churned``):
  the ``events`` row only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from engine.profiles.ingest.events import LIST_CONTACTS, TYPES, Event

PROFILE_FIELDS = (
    "name",
    "language",
    "timezone",
    "preferred_style",
    "plan",
    "loyalty_level",
    "loyalty_points",
)
KNOWN_CUSTOMER_FIELDS = set(TYPES["customer.updated"])
READS_CUSTOMER = frozenset({"customer.updated", "consent.changed"})  # needs its row first
# types whose writes may find nothing to change (then the event is refused)
MAY_REFUSE = frozenset(
    {"order.placed", "order.refunded", "order.cancelled", "ticket.opened", "ticket.resolved"}
    | {"intervention.outcome"}
)


@dataclass(frozen=True)
class Write:
    op: str  # the statement's name in ``writes.statements``
    params: Mapping[str, Any]
    must_change: str | None = None  # field to blame when no row changed (then refused)
    reason: str = ""


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _loads(text: Any) -> dict[str, Any]:
    if isinstance(text, str) and text:
        try:
            found = orjson.loads(text)
        except orjson.JSONDecodeError:
            return {}
        return found if isinstance(found, dict) else {}
    return {}


def merge_patch(target: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7396: ``patch`` merged into ``target`` (null removes a key)."""
    out = dict(target)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping):
            inner = out.get(key)
            out[key] = merge_patch(inner if isinstance(inner, dict) else {}, value)
        else:
            out[key] = value
    return out


def event_row(e: Event) -> Write:
    return Write(
        "event",
        {
            "id": e.id,
            "type": e.type,
            "customer_id": e.customer_id,
            "at": e.at,
            "received_at": e.received_at,
            "source": e.source,
            "data": _json(e.data),
        },
    )


def _ensure_customer(e: Event) -> Write:
    return Write("customer.ensure", {"id": e.customer_id, "created_at": e.at})


PROFILE_SET = (*PROFILE_FIELDS, "created_at", "updated_at", "field_times", "attrs")
CONSENT_SET = ("prediction_opt_out", "contact_opt_out", "consent")


def customer_set(e: Event, row: Mapping[str, Any]) -> dict[str, Any]:
    """The customer's ``PROFILE_SET`` columns after a ``customer.updated`` on ``row`` (the
    customer as stored; what the event does not change keeps its value). A field (and
    each extra field, kept in ``attrs``) is set only when no newer event set it already
    (``field_times``: field -> time of the event that last set it); a null extra field
    removes the key."""
    d = e.data
    times = _loads(row.get("field_times"))
    attrs = _loads(row.get("attrs"))
    out: dict[str, Any] = {c: row.get(c) for c in PROFILE_SET}
    for c in (*PROFILE_FIELDS, "created_at"):
        if c in d:
            if float(times.get(c) or 0) <= e.at:
                out[c] = d[c]
            times[c] = max(float(times.get(c) or 0), e.at)
    extra = {k: v for k, v in d.items() if k not in KNOWN_CUSTOMER_FIELDS}
    for k, value in extra.items():
        key = f"attrs.{k}"
        if float(times.get(key) or 0) <= e.at:
            if value is None:
                attrs.pop(k, None)
            else:
                attrs[k] = value
        times[key] = max(float(times.get(key) or 0), e.at)
    out["updated_at"] = max(float(row.get("updated_at") or 0), e.at)
    out["field_times"] = _json(times)
    if extra:
        out["attrs"] = _json(attrs)
    return out


def _customer(e: Event, row: Mapping[str, Any]) -> list[Write]:
    out = [Write("customer.profile", {"b_id": e.customer_id, **_bound(customer_set(e, row))})]
    for name, kind in LIST_CONTACTS.items():
        out += [
            Write(
                "contact_point",
                {"kind": kind, "value": value, "customer_id": e.customer_id, "added_at": e.at},
            )
            for value in e.data.get(name, ())
        ]
    return out


def _bound(values: Mapping[str, Any]) -> dict[str, Any]:
    """Column values as the parameters of a ``customer.*`` statement (``b_<column>``)."""
    return {f"b_{k}": v for k, v in values.items()}


def _consent(e: Event, row: Mapping[str, Any]) -> list[Write]:
    """A consent older than the one on record (a late delivery) never undoes it."""
    d = e.data
    on_record = _loads(row.get("consent"))
    if float(on_record.get("at") or 0) > e.at:
        return []
    given = {c: int(d[c]) for c in ("prediction_opt_out", "contact_opt_out") if c in d}
    consent = {c: d[c] for c in given} | {"at": e.at, "source": e.source, "event_id": e.id}
    values = {c: row.get(c) for c in CONSENT_SET} | given
    values["consent"] = _json(merge_patch(on_record, consent))
    return [Write("customer.consent", {"b_id": e.customer_id, **_bound(values)})]


def _interaction(e: Event) -> list[Write]:
    d = e.data
    return [
        Write(
            "interaction",
            {
                "id": e.id,
                "customer_id": e.customer_id,
                "conversation_id": d["conversation_id"],
                "channel": d["channel"],
                "direction": d.get("direction", "in"),
                "topic": d.get("topic"),
                "content": d.get("content"),
                "status": d.get("status", "open"),
                "at": e.at,
                "kind": e.type,
            },
        )
    ]


BLAME_ORDER = ("data.order_id", "belongs to another customer")
BLAME_TICKET = ("data.ticket_id", "belongs to another customer")


def _order(e: Event) -> list[Write]:
    d = e.data
    if e.type == "order.placed":
        values = {
            "id": d["order_id"],
            "customer_id": e.customer_id,
            "at": e.at,
            "amount": d["amount"],
            "product": d.get("product"),
            "status": d.get("status", "placed"),
        }
        return [Write("order.placed", values, *BLAME_ORDER)]
    values = {
        "id": d["order_id"],
        "customer_id": e.customer_id,
        "at": e.at,
        "amount": d.get("amount", 0.0),
        "product": d.get("product"),
        "status": d.get("status", e.type.split(".")[1]),
    }
    return [Write("order.status", values, *BLAME_ORDER)]


def _ticket(e: Event) -> list[Write]:
    d = e.data
    if e.type == "ticket.opened":
        values = {
            "id": d.get("ticket_id", e.id),
            "customer_id": e.customer_id,
            "kind": d.get("kind", "ticket"),
            "subject": d.get("subject"),
            "topic": d.get("topic"),
            "status": "open",
            "opened_at": e.at,
        }
        return [Write("ticket.opened", values, *BLAME_TICKET)]
    values = {
        "id": d["ticket_id"],
        "customer_id": e.customer_id,
        "kind": "ticket",
        "status": "resolved",
        "resolved_at": e.at,
    }
    return [Write("ticket.resolved", values, *BLAME_TICKET)]


def _rating(e: Event) -> list[Write]:
    values = {
        "id": e.id,
        "customer_id": e.customer_id,
        "stars": e.data["stars"],
        "at": e.at,
        "channel": e.data.get("channel"),
    }
    return [Write("rating", values)]


def _login(e: Event) -> list[Write]:
    values = {
        "id": e.id,
        "customer_id": e.customer_id,
        "at": e.at,
        "channel": e.data.get("channel"),
    }
    return [Write("login", values)]


def _outcome(e: Event) -> list[Write]:
    return [
        Write(
            "intervention.outcome",
            {
                "b_outcome": e.data["outcome"],
                "b_at": e.at,
                "b_id": e.data["intervention_id"],
                "b_customer": e.customer_id,
            },
            "data.intervention_id",
            "no such intervention for this customer",
        )
    ]


WRITERS: dict[str, Callable[[Event], list[Write]]] = {
    "interaction": _interaction,
    "inquiry": _interaction,
    "order.placed": _order,
    "order.refunded": _order,
    "order.cancelled": _order,
    "ticket.opened": _ticket,
    "ticket.resolved": _ticket,
    "rating": _rating,
    "login": _login,
    "intervention.outcome": _outcome,
}
ROW_WRITERS: dict[str, Callable[[Event, Mapping[str, Any]], list[Write]]] = {
    "customer.updated": _customer,
    "consent.changed": _consent,
}


def ensure_customer(e: Event) -> Write:
    return _ensure_customer(e)


def rows_for(e: Event, customer: Mapping[str, Any] | None = None) -> list[Write]:
    """The writes after the ``events`` row, for an event whose customer is known: the
    customer's row made sure of, then the type's. ``customer``: the customer's row as
    stored, which the types of ``READS_CUSTOMER`` need (the service makes sure of it and
    reads it under a row lock first)."""
    if e.customer_id is None:
        raise ValueError("rows_for needs the event's customer_id resolved")
    with_row = ROW_WRITERS.get(e.type)
    if with_row is not None:
        return [_ensure_customer(e), *with_row(e, customer or {})]
    writer = WRITERS.get(e.type)
    return [_ensure_customer(e), *(writer(e) if writer else ())]
