"""The statements ``event_rows.Write`` names, in SQLAlchemy Core, built once per dialect
(the conflict clauses are each dialect's own ``insert``), and how one write runs.

Inserts that may meet a row already there: ``ON CONFLICT DO NOTHING`` (events,
interactions, ratings, logins), or ``DO UPDATE ... WHERE`` the row is the same
customer's (orders, tickets: no row changes when it is another's, and the event is
refused) or, for a contact point, when the number moves to a newer owner.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, case, func, or_, select, update

from engine.profiles.ingest.event_rows import CONSENT_SET, PROFILE_SET, Write
from engine.profiles.schema import (
    contact_points,
    customers,
    events,
    interactions,
    interventions,
    logins,
    orders,
    ratings,
    tickets,
)
from engine.store.sql import Prepared, insert_for

CUSTOMER_ROW = select(customers).where(customers.c.id == bindparam("id")).with_for_update()


@cache
def statements(dialect: str) -> dict[str, Any]:
    def ins(table: Any) -> Any:
        return insert_for(dialect, table)

    out: dict[str, Any] = {}
    for name, table in (
        ("event", events),
        ("interaction", interactions),
        ("rating", ratings),
        ("login", logins),
    ):
        out[name] = ins(table).on_conflict_do_nothing(index_elements=["id"])
    stmt = ins(customers)
    out["customer.ensure"] = stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={"created_at": stmt.excluded.created_at},
        where=customers.c.created_at.is_(None)
        | (stmt.excluded.created_at < customers.c.created_at),
    )
    stmt = ins(contact_points)
    out["contact_point"] = stmt.on_conflict_do_update(
        index_elements=["kind", "value"],
        set_={"customer_id": stmt.excluded.customer_id, "added_at": stmt.excluded.added_at},
        where=(contact_points.c.customer_id != stmt.excluded.customer_id)
        & (contact_points.c.added_at <= stmt.excluded.added_at),
    )
    o = orders.c
    stmt = ins(orders)
    mine = o.customer_id == stmt.excluded.customer_id
    out["order.placed"] = stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={
            "at": stmt.excluded.at,
            "amount": stmt.excluded.amount,
            "product": func.coalesce(stmt.excluded.product, o.product),
            "status": case(  # no IN (...): an expanding list cannot run in executemany
                (or_(o.status == "refunded", o.status == "cancelled"), o.status),
                else_=stmt.excluded.status,
            ),
        },
        where=mine,
    )
    stmt = ins(orders)
    out["order.status"] = stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={"status": stmt.excluded.status},
        where=o.customer_id == stmt.excluded.customer_id,
    )
    t = tickets.c
    stmt = ins(tickets)
    out["ticket.opened"] = stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={
            "kind": stmt.excluded.kind,
            "subject": stmt.excluded.subject,
            "topic": stmt.excluded.topic,
            "opened_at": stmt.excluded.opened_at,
        },
        where=t.customer_id == stmt.excluded.customer_id,
    )
    stmt = ins(tickets)
    out["ticket.resolved"] = stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={"status": "resolved", "resolved_at": stmt.excluded.resolved_at},
        where=t.customer_id == stmt.excluded.customer_id,
    )
    for name, cols in (("customer.profile", PROFILE_SET), ("customer.consent", CONSENT_SET)):
        out[name] = (
            update(customers)
            .where(customers.c.id == bindparam("b_id"))
            .values({c: bindparam(f"b_{c}") for c in cols})
        )
    i = interventions.c
    out["intervention.outcome"] = (
        update(interventions)
        .where(i.id == bindparam("b_id"), i.customer_id == bindparam("b_customer"))
        .values(outcome=bindparam("b_outcome"), outcome_at=bindparam("b_at"))
    )
    return out


def customer_row(conn: Connection, customer_id: str) -> dict[str, Any]:
    """The customer's row (``event_rows.customer_set`` and ``_consent`` start from it),
    locked until commit."""
    row = conn.execute(CUSTOMER_ROW, {"id": customer_id}).mappings().first()
    return dict(row) if row is not None else {}


@cache
def prepared(dialect: str) -> dict[str, Prepared]:
    """``statements`` compiled once and run on the driver's cursor (``sql.Prepared``):
    an import runs them hundreds of thousands of times."""
    return {name: Prepared(stmt) for name, stmt in statements(dialect).items()}


def run(conn: Connection, w: Write) -> int:
    """Runs one write; returns how many rows it changed."""
    cursor = prepared(conn.dialect.name)[w.op].execute(conn, dict(w.params))
    changed = int(cursor.rowcount)
    cursor.close()
    return changed


def run_many(conn: Connection, batch: list[Write]) -> None:
    """Writes that cannot be refused, in one ``executemany`` per statement (the order of
    statements kept: events, then customers, then the rest)."""
    by_op: dict[str, list[dict[str, Any]]] = {}
    for w in batch:
        by_op.setdefault(w.op, []).append(dict(w.params))
    found = prepared(conn.dialect.name)
    for op, params in by_op.items():
        found[op].executemany(conn, params)


def owners(conn: Connection, table: str, ids: list[str]) -> dict[str, str]:
    """Row ID -> customer ID of the ``orders`` or ``tickets`` rows with these IDs."""
    if not ids:
        return {}
    t = {"orders": orders, "tickets": tickets}[table]
    query = select(t.c.id, t.c.customer_id).where(t.c.id.in_(sorted(set(ids))))
    return {str(i): str(c) for i, c in conn.execute(query)}


def stored_ids(conn: Connection, ids: list[str]) -> set[str]:
    """Which of these event IDs are stored already."""
    if not ids:
        return set()
    return set(conn.execute(select(events.c.id).where(events.c.id.in_(ids))).scalars())
