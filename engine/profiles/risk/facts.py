"""What the risk tags and the score read about one customer: ``Facts`` as of a moment.

``facts_of(rows, now)`` is pure: it turns one customer's rows from the profile store
(``engine/profiles/schema.py``: customers, interactions, tickets, orders, ratings, logins,
interventions, and the events that have no table of their own: inquiries, call
transcripts, call emotion, churn) into facts, ignoring everything after ``now`` (so
training can look at the past as of a cutoff). ``features_of`` gives the numeric and
categorical features the learned model may use besides the tags.

The readers fetch those rows on the Database thread: ``read_rows`` for the customers of
one ingested batch (one indexed query per table for the whole batch), ``read_all`` for
training (every customer, one scan per table).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from engine.profiles.value import NOT_COUNTED

DAY = 86400.0
OPT_OUT_CONSENT = frozenset({"opted-out", "opt-out", "withdrawn", "none"})
POSITIVE_OUTCOMES = frozenset({"accepted", "retained", "resolved", "positive", "success"})


@dataclass(frozen=True)
class Ticket:
    kind: str  # ticket | complaint
    opened_at: float
    resolved_at: float | None = None


@dataclass(frozen=True)
class Transcript:
    at: float
    text: str
    words: tuple[str, ...] = ()  # complaint words the speech side already found


@dataclass(frozen=True)
class Facts:
    """One customer as of ``now``; every sequence is sorted by time, oldest first."""

    customer_id: str
    created_at: float | None = None
    opted_out: bool = False  # out of prediction
    contact_opt_out: bool = False
    activity: tuple[float, ...] = ()  # any sign of life: contacts, orders...
    tickets: tuple[Ticket, ...] = ()  # open as of now (resolved_at None)
    resolutions: tuple[float, ...] = ()  # tickets/conversations resolved
    ratings: tuple[tuple[float, int], ...] = ()  # (at, stars)
    orders: tuple[tuple[float, float], ...] = ()  # (at, amount), refunds/cancels left out
    logins: tuple[float, ...] = ()
    inquiries: tuple[tuple[float, str], ...] = ()  # (at, topic)
    transcripts: tuple[Transcript, ...] = ()
    emotions: tuple[tuple[float, float, str], ...] = ()  # (at, score, label)
    interventions: tuple[tuple[float, str, str], ...] = ()  # (at, kind, outcome)
    categories: Mapping[str, str] = field(default_factory=dict)  # plan, language...
    loyalty_points: float = 0.0
    churned_at: float | None = None  # first churn event, even after now

    @property
    def last_activity(self) -> float | None:
        return self.activity[-1] if self.activity else None


Rows = Mapping[str, Sequence[Mapping[str, Any]]]
"""Table name -> rows of one customer; ``customer`` holds the customers row (0 or 1)."""


def _at(row: Mapping[str, Any], *names: str) -> float | None:
    for name in names:
        value = row.get(name)
        if isinstance(value, int | float):
            return float(value)
    return None


def _data(row: Mapping[str, Any]) -> Mapping[str, Any]:
    data = row.get("data")
    if isinstance(data, str | bytes):
        try:
            data = orjson.loads(data)
        except orjson.JSONDecodeError:
            return {}
    return data if isinstance(data, Mapping) else {}


def opted_out(customer: Mapping[str, Any] | None) -> bool:
    """Out of prediction: the flag, or a consent value that withdraws it."""
    if not customer:
        return False
    consent = customer.get("consent")
    return bool(customer.get("prediction_opt_out")) or (
        isinstance(consent, str) and consent.strip().lower() in OPT_OUT_CONSENT
    )


def _times(rows: Iterable[Mapping[str, Any]], now: float, *names: str) -> list[float]:
    return [t for t in (_at(r, *names) for r in rows) if t is not None and t <= now]


def _by_type(rows: Rows, now: float) -> dict[str, list[tuple[float, Mapping[str, Any]]]]:
    """The customer's events up to ``now`` by type, oldest first (their data parsed)."""
    out: dict[str, list[tuple[float, Mapping[str, Any]]]] = {}
    for r in rows.get("events", ()):
        t = r.get("at")
        if isinstance(t, int | float) and t <= now:
            out.setdefault(r.get("type") or "", []).append((float(t), r))
    return {k: [(t, _data(r)) for t, r in sorted(v, key=lambda e: e[0])] for k, v in out.items()}


def _tickets(rows: Rows, now: float) -> tuple[list[Ticket], list[float]]:
    open_, resolved = [], []
    for r in rows.get("tickets", ()):
        opened = _at(r, "opened_at", "at")
        if opened is None or opened > now:
            continue
        done = _at(r, "resolved_at")
        if done is not None and done <= now:
            resolved.append(done)
        elif done is None and str(r.get("status") or "").lower() in ("resolved", "closed"):
            resolved.append(opened)
        else:
            open_.append(Ticket(str(r.get("kind") or "ticket"), opened))
    open_.sort(key=lambda t: t.opened_at)
    return open_, resolved


def facts_of(rows: Rows, customer_id: str, now: float) -> Facts:
    """Facts of one customer as of ``now`` from its rows (see ``Rows``)."""
    customer = next(iter(rows.get("customer", ())), None) or {}
    tickets, resolved = _tickets(rows, now)
    interactions = [r for r in rows.get("interactions", ()) if (_at(r, "at") or 0) <= now]
    inbound = [r for r in interactions if r.get("direction") != "out"]  # ours are no sign
    resolved += [
        t
        for r in interactions
        if str(r.get("status") or "") == "resolved" and (t := _at(r, "at")) is not None
    ]
    events = _by_type(rows, now)
    resolved += [t for t, _ in events.get("ticket.resolved", ())]
    orders = sorted(
        (float(r["at"]), float(r.get("amount") or 0.0))
        for r in rows.get("orders", ())
        if _at(r, "at") is not None
        and r["at"] <= now
        and str(r.get("status") or "") not in NOT_COUNTED
    )
    ratings = sorted(
        (float(r["at"]), int(r.get("stars") or 0))
        for r in rows.get("ratings", ())
        if _at(r, "at") is not None and r["at"] <= now
    )
    inquiries = [(t, str(d.get("topic") or "")) for t, d in events.get("inquiry", ())]
    transcripts = [
        Transcript(
            t, str(d.get("text") or ""), tuple(str(w) for w in d.get("complaint_words") or ())
        )
        for t, d in events.get("call.transcript", ())
    ]
    emotions = [
        (t, float(d.get("score") or 0.0), str(d.get("label") or ""))
        for t, d in events.get("call.emotion", ())
    ]
    interventions = sorted(
        (float(r["at"]), str(r.get("kind") or ""), str(r.get("outcome") or ""))
        for r in rows.get("interventions", ())
        if _at(r, "at") is not None and r["at"] <= now
    )
    logins = sorted(_times(rows.get("logins", ()), now, "at"))
    activity = sorted(
        [
            *_times(inbound, now, "at"),
            *(o[0] for o in orders),
            *logins,
            *(r[0] for r in ratings),
            *_times(rows.get("tickets", ()), now, "opened_at"),
            *(i[0] for i in inquiries),
            *(t.at for t in transcripts),
        ]
    )
    churn = [
        t
        for r in rows.get("events", ())
        if r.get("type") in ("customer.churned", "churned") and (t := _at(r, "at")) is not None
    ]
    return Facts(
        customer_id=customer_id,
        created_at=_at(customer, "created_at"),
        opted_out=opted_out(customer),
        contact_opt_out=bool(customer.get("contact_opt_out")),
        activity=tuple(activity),
        tickets=tuple(tickets),
        resolutions=tuple(sorted(resolved)),
        ratings=tuple(ratings),
        orders=tuple(orders),
        logins=tuple(logins),
        inquiries=tuple(inquiries),
        transcripts=tuple(transcripts),
        emotions=tuple(emotions),
        interventions=tuple(interventions),
        categories={
            k: str(customer[k])
            for k in ("plan", "loyalty_level", "language", "preferred_style")
            if customer.get(k)
        },
        loyalty_points=float(customer.get("loyalty_points") or 0.0),
        churned_at=min(churn) if churn else None,
    )


NUMERIC_FEATURES = (
    "days_inactive",
    "open_tickets",
    "orders_90d",
    "spend_90d",
    "inquiries_30d",
    "tenure_days",
    "loyalty_points",
)


def features_of(facts: Facts, now: float) -> dict[str, float | str]:
    """Numeric (and categorical) features besides the tags, for the learned model."""
    since = (
        facts.created_at
        if facts.created_at is not None
        else (facts.activity[0] if facts.activity else now)
    )
    last = facts.last_activity if facts.last_activity is not None else since
    recent = [a for t, a in facts.orders if t > now - 90 * DAY]
    out: dict[str, float | str] = {
        "days_inactive": min(max(now - last, 0.0) / DAY, 365.0),
        "open_tickets": float(len(facts.tickets)),
        "orders_90d": float(len(recent)),
        "spend_90d": float(sum(recent)),
        "inquiries_30d": float(sum(1 for t, _ in facts.inquiries if t > now - 30 * DAY)),
        "tenure_days": min(max(now - since, 0.0) / DAY, 3650.0),
        "loyalty_points": facts.loyalty_points,
    }
    out.update(facts.categories or {})
    return out


# -- readers (run on the Database thread) ---------------------------------------------
COLUMNS = {
    "interactions": ("at", "status", "direction"),
    "tickets": ("kind", "opened_at", "resolved_at", "status"),
    "orders": ("at", "amount", "status"),
    "ratings": ("at", "stars"),
    "logins": ("at",),
    "interventions": ("at", "kind", "outcome"),
}
EVENT_TYPES = (
    "inquiry",
    "call.transcript",
    "call.emotion",
    "ticket.resolved",
    "customer.churned",
    "churned",
)
CUSTOMER_COLUMNS = (
    "id",
    "name",
    "created_at",
    "prediction_opt_out",
    "contact_opt_out",
    "consent",
    "plan",
    "loyalty_level",
    "language",
    "preferred_style",
    "loyalty_points",
)
CHUNK = 500


def _read(
    conn: Any,
    ids: Sequence[str] | None,
    out: dict[str, dict[str, list[dict[str, Any]]]],
    last_login_only: bool,
) -> None:
    """Rows of the customers ``ids`` (all when None) into ``out``."""
    from sqlalchemy import func, select, true

    from engine.profiles import schema

    def put(table: str, row: dict[str, Any], key: str = "customer_id") -> None:
        cid = row.pop(key)
        bucket = out.get(cid)
        if bucket is None:
            bucket = out[cid] = {}
        bucket.setdefault(table, []).append(row)

    def where(column: Any) -> Any:
        return column.in_(ids) if ids is not None else true()

    c = schema.customers
    query = select(*(c.c[n] for n in CUSTOMER_COLUMNS)).where(where(c.c.id))
    for row in conn.execute(query).mappings():
        put("customer", dict(row), "id")
    for name, cols in COLUMNS.items():
        t = schema.metadata.tables[name]
        if name == "logins" and last_login_only:
            query = (
                select(t.c.customer_id, func.max(t.c.at).label("at"))
                .where(where(t.c.customer_id))
                .group_by(t.c.customer_id)
            )
        else:
            query = select(t.c.customer_id, *(t.c[n] for n in cols)).where(where(t.c.customer_id))
        for row in conn.execute(query).mappings():
            put(name, dict(row))
    e = schema.events.c
    query = select(e.customer_id, e.type, e.at, e.data).where(
        where(e.customer_id), e.type.in_(EVENT_TYPES)
    )
    for row in conn.execute(query).mappings():
        put("events", dict(row))


def read_rows(db: Any, customer_ids: Iterable[str]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Rows (``Rows``) of these customers as they are now, by customer ID: one indexed
    query per table per ``CHUNK`` customers; of the logins only the latest (all the tags
    need now). Customers without a customers row come back only if other rows name
    them. ``db``: a SQLAlchemy ``Connection``."""
    ids = list(dict.fromkeys(customer_ids))
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for i in range(0, len(ids), CHUNK):
        _read(db, ids[i : i + CHUNK], out, last_login_only=True)
    return out


def read_all(db: Any) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Rows of every customer (training): one scan per table."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    _read(db, None, out, last_login_only=False)
    return out
