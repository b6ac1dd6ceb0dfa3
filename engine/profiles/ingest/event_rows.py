"""What one parsed event writes to the profile store: SQL statements with their
parameters, in order. Pure; ``service.write_batch`` runs them.

Every event first records itself in ``events`` (``INSERT OR IGNORE``: an ID already there
makes it a duplicate and nothing else is written) and makes sure its customer exists (a
bare row; ``created_at`` is the earliest event seen unless ``customer.updated`` says
otherwise). Then, by type:

- ``customer.updated``: the given fields (others untouched; fields not in the schema go
  to ``attrs`` as JSON), contact points added (a number that belonged to another customer
  moves to this one).
- ``consent.changed``: ``prediction_opt_out`` / ``contact_opt_out`` and ``consent``.
- ``interaction`` / ``inquiry``: one ``interactions`` row, ``kind`` = the type.
- ``order.*``: the order row (refunds and cancellations set its status).
- ``ticket.opened`` / ``ticket.resolved``: the ticket row.
- ``rating``, ``login``: one row each.
- ``intervention.outcome``: the intervention's outcome; an unknown ID is refused.
- the others (``page.viewed``, ``delivery.delayed``, ``call.*``, ``customer.churned``):
  the ``events`` row only.
"""

from __future__ import annotations

from collections.abc import Callable
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


@dataclass(frozen=True)
class Write:
    sql: str
    params: tuple[Any, ...]
    must_change: str | None = None  # field to blame when no row changed (then refused)
    reason: str = ""


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def event_row(e: Event) -> Write:
    return Write(
        "INSERT OR IGNORE INTO events (id, type, customer_id, at, received_at, "
        "source, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (e.id, e.type, e.customer_id, e.at, e.received_at, e.source, _json(e.data)),
    )


def _ensure_customer(e: Event) -> Write:
    return Write(
        "INSERT INTO customers (id, created_at) VALUES (?, ?) ON CONFLICT(id) DO "
        "UPDATE SET created_at = excluded.created_at WHERE customers.created_at IS "
        "NULL OR excluded.created_at < customers.created_at",
        (e.customer_id, e.at),
    )


def _path(key: str) -> str:
    """The JSON path of ``key`` in ``field_times`` (a parameter, never spliced into SQL)."""
    return f'$."{key}"'


NEWER = "coalesce(json_extract(field_times, ?), 0) <= ?"  # path, this event's time


def _customer(e: Event) -> list[Write]:
    """Each field is set only by an event at least as new as the one that last set it
    (``field_times``): a late delivery never undoes a newer update. Extra fields go to
    ``attrs`` key by key the same way (a key with a quote or backslash, which a JSON path
    cannot name, is simply written). A null extra field removes the key, as a JSON merge
    patch does."""
    d = e.data
    cols = [c for c in (*PROFILE_FIELDS, "created_at") if c in d]
    extra = {k: v for k, v in d.items() if k not in KNOWN_CUSTOMER_FIELDS}
    keyed = [k for k in extra if '"' not in k and "\\" not in k]
    sets = [f"{c} = CASE WHEN {NEWER} THEN ? ELSE {c} END" for c in cols]
    params: list[Any] = [x for c in cols for x in (_path(c), e.at, d[c])]
    sets.append("updated_at = max(coalesce(updated_at, 0), ?)")
    params.append(e.at)
    times = [_path(t) for t in (*cols, *(f"attrs.{k}" for k in keyed))]
    if times:
        pairs = ", ".join(["?, max(coalesce(json_extract(field_times, ?), 0), ?)"] * len(times))
        sets.append(f"field_times = json_set(coalesce(field_times, '{{}}'), {pairs})")
        params += [x for t in times for x in (t, t, e.at)]
    out = [Write(f"UPDATE customers SET {', '.join(sets)} WHERE id = ?", (*params, e.customer_id))]
    for k in keyed:  # field_times now holds max(before, this event): ``<=`` holds only
        value = extra[k]  # if no newer event had set the key; null removes it (as a
        change = (
            ("json_remove(coalesce(attrs, '{}'), ?)", (_path(k),))
            if value is None
            else ("json_set(coalesce(attrs, '{}'), ?, json(?))", (_path(k), _json(value)))
        )
        out.append(
            Write(
                f"UPDATE customers SET attrs = {change[0]} WHERE id = ? AND {NEWER}",
                (*change[1], e.customer_id, _path(f"attrs.{k}"), e.at),
            )
        )
    unkeyed = {k: v for k, v in extra.items() if k not in keyed}
    if unkeyed:
        out.append(
            Write(
                "UPDATE customers SET attrs = json_patch(coalesce(attrs, '{}'), ?) WHERE id = ?",
                (_json(unkeyed), e.customer_id),
            )
        )
    for name, kind in LIST_CONTACTS.items():
        out += [
            Write(
                "INSERT INTO contact_points (kind, value, customer_id, added_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(kind, value) DO UPDATE SET "
                "customer_id = excluded.customer_id, added_at = excluded.added_at "
                "WHERE customer_id != excluded.customer_id "
                "AND contact_points.added_at <= excluded.added_at",
                (kind, value, e.customer_id, e.at),
            )
            for value in d.get(name, ())
        ]
    return out


def _consent(e: Event) -> list[Write]:
    d = e.data
    cols = [c for c in ("prediction_opt_out", "contact_opt_out") if c in d]
    consent = {c: d[c] for c in cols} | {"at": e.at, "source": e.source, "event_id": e.id}
    # a consent older than the one on record (a late delivery) never undoes it
    return [
        Write(
            f"UPDATE customers SET {', '.join(f'{c} = ?' for c in cols)}, consent = "
            "json_patch(coalesce(consent, '{}'), ?) WHERE id = ? AND "
            "coalesce(json_extract(consent, '$.at'), 0) <= ?",
            (*(int(d[c]) for c in cols), _json(consent), e.customer_id, e.at),
        )
    ]


def _interaction(e: Event) -> list[Write]:
    d = e.data
    return [
        Write(
            "INSERT OR IGNORE INTO interactions (id, customer_id, conversation_id, channel, "
            "direction, topic, content, status, at, kind) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                e.id,
                e.customer_id,
                d["conversation_id"],
                d["channel"],
                d.get("direction", "in"),
                d.get("topic"),
                d.get("content"),
                d.get("status", "open"),
                e.at,
                e.type,
            ),
        )
    ]


def _order(e: Event) -> list[Write]:
    d = e.data
    mine = "WHERE orders.customer_id = excluded.customer_id"
    blame = ("data.order_id", "belongs to another customer")
    if e.type == "order.placed":
        return [
            Write(
                "INSERT INTO orders (id, customer_id, at, amount, product, status) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET at = "
                "excluded.at, amount = excluded.amount, product = coalesce("
                "excluded.product, orders.product), status = CASE WHEN orders.status "
                f"IN ('refunded', 'cancelled') THEN orders.status ELSE excluded.status "
                f"END {mine}",
                (
                    d["order_id"],
                    e.customer_id,
                    e.at,
                    d["amount"],
                    d.get("product"),
                    d.get("status", "placed"),
                ),
                *blame,
            )
        ]
    status = d.get("status", e.type.split(".")[1])
    return [
        Write(
            "INSERT INTO orders (id, customer_id, at, amount, product, status) VALUES "
            "(?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET status = excluded.status"
            f" {mine}",
            (d["order_id"], e.customer_id, e.at, d.get("amount", 0.0), d.get("product"), status),
            *blame,
        )
    ]


def _ticket(e: Event) -> list[Write]:
    d = e.data
    mine = "WHERE tickets.customer_id = excluded.customer_id"
    blame = ("data.ticket_id", "belongs to another customer")
    if e.type == "ticket.opened":
        return [
            Write(
                "INSERT INTO tickets (id, customer_id, kind, subject, topic, status, "
                "opened_at) VALUES (?, ?, ?, ?, ?, 'open', ?) ON CONFLICT(id) DO UPDATE "
                "SET kind = excluded.kind, subject = excluded.subject, topic = "
                f"excluded.topic, opened_at = excluded.opened_at {mine}",
                (
                    d.get("ticket_id", e.id),
                    e.customer_id,
                    d.get("kind", "ticket"),
                    d.get("subject"),
                    d.get("topic"),
                    e.at,
                ),
                *blame,
            )
        ]
    return [
        Write(
            "INSERT INTO tickets (id, customer_id, kind, status, resolved_at) VALUES "
            "(?, ?, 'ticket', 'resolved', ?) ON CONFLICT(id) DO UPDATE SET status = "
            f"'resolved', resolved_at = excluded.resolved_at {mine}",
            (d["ticket_id"], e.customer_id, e.at),
            *blame,
        )
    ]


def _rating(e: Event) -> list[Write]:
    return [
        Write(
            "INSERT OR IGNORE INTO ratings (id, customer_id, stars, at, channel) VALUES "
            "(?, ?, ?, ?, ?)",
            (e.id, e.customer_id, e.data["stars"], e.at, e.data.get("channel")),
        )
    ]


def _login(e: Event) -> list[Write]:
    return [
        Write(
            "INSERT OR IGNORE INTO logins (id, customer_id, at, channel) VALUES (?, ?, ?, ?)",
            (e.id, e.customer_id, e.at, e.data.get("channel")),
        )
    ]


def _outcome(e: Event) -> list[Write]:
    return [
        Write(
            "UPDATE interventions SET outcome = ?, outcome_at = ? WHERE id = ? AND customer_id = ?",
            (e.data["outcome"], e.at, e.data["intervention_id"], e.customer_id),
            "data.intervention_id",
            "no such intervention for this customer",
        )
    ]


WRITERS: dict[str, Callable[[Event], list[Write]]] = {
    "customer.updated": _customer,
    "consent.changed": _consent,
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


def rows_for(e: Event) -> list[Write]:
    """The writes after the ``events`` row, for an event whose customer is known."""
    if e.customer_id is None:
        raise ValueError("rows_for needs the event's customer_id resolved")
    writer = WRITERS.get(e.type)
    return [_ensure_customer(e), *(writer(e) if writer else ())]
