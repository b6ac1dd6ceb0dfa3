"""Profile event envelopes: every bad field is refused by name; good ones are normalised
(issue 4, item 2)."""

from __future__ import annotations

import pytest

from engine.profiles.ingest import phones
from engine.profiles.ingest.event_rows import rows_for
from engine.profiles.ingest.events import TYPES, EventError, parse

NOW = 1_750_000_000.0


def ev(type_: str, data: dict | None = None, **envelope: object) -> dict:
    return {"id": "e1", "type": type_, "customer_id": "c1", "data": data or {}} | envelope


GOOD = {
    "customer.updated": {
        "name": "Li Wei",
        "language": "zh-CN",
        "timezone": "Asia/Shanghai",
        "loyalty_points": 10,
        "phones": ["+86 138 0013 8000"],
        "emails": ["Li@Example.cn"],
        "chat_ids": ["wx-1"],
        "created_at": "2024-01-02T03:04:05+08:00",
    },
    "consent.changed": {"prediction_opt_out": True},
    "interaction": {"channel": "chat", "conversation_id": "k1", "direction": "in"},
    "inquiry": {"channel": "phone", "conversation_id": "k1", "status": "open"},
    "order.placed": {"order_id": "o1", "amount": 12.5},
    "order.refunded": {"order_id": "o1"},
    "order.cancelled": {"order_id": "o1"},
    "ticket.opened": {"ticket_id": "t1", "kind": "complaint"},
    "ticket.resolved": {"ticket_id": "t1"},
    "rating": {"stars": 3},
    "login": {"channel": "app"},
    "page.viewed": {"page_id": "p1", "page_kind": "promotion"},
    "delivery.delayed": {"order_id": "o1", "delay_hours": 5, "status_url": "https://x/o1"},
    "intervention.outcome": {"intervention_id": 4, "outcome": "accepted"},
    "call.transcript": {"call_id": "k", "text": "too slow", "complaint_words": ["slow"]},
    "call.emotion": {"call_id": "k", "score": 0.8, "label": "angry"},
    "customer.churned": {"reason": "moved"},
}


def test_every_type_has_a_good_example():
    assert set(GOOD) == set(TYPES)


@pytest.mark.parametrize("type_", sorted(GOOD))
def test_good_events_parse_and_have_rows(type_):
    event = parse(ev(type_, GOOD[type_]), NOW)
    assert (event.id, event.type, event.customer_id, event.at) == ("e1", type_, "c1", NOW)
    assert rows_for(event)


BAD = [
    # (raw event, field named, words in the reason)
    (["not", "an", "object"], "event", "object"),
    ({"type": "login", "customer_id": "c1"}, "id", "required"),
    (ev("login", id=""), "id", "non-empty"),
    (ev("login", id="x" * 300), "id", "at most"),
    ({"id": "e", "customer_id": "c1"}, "type", "required"),
    (ev("order.shipped"), "type", "unknown event type 'order.shipped'"),
    (ev("login", at="yesterday"), "at", "ISO-8601"),
    (ev("login", at="2025-01-01T10:00:00"), "at", "no zone"),
    (ev("login", at=-5), "at", "out of range"),
    (ev("login", at=True), "at", "epoch seconds"),
    (ev("login", source=5), "source", "string"),
    (ev("login", data=[1]), "data", "object"),
    ({"id": "e", "type": "login"}, "customer_id", "required"),
    (ev("login", customer_id=["c"]), "customer_id", "string"),
    (ev("customer.updated", {"timezone": "Mars/Base"}), "data.timezone", "IANA"),
    (ev("customer.updated", {"language": "chinese!"}), "data.language", "language tag"),
    (ev("customer.updated", {"loyalty_points": -1}), "data.loyalty_points", ">= 0"),
    (ev("customer.updated", {"loyalty_points": 1.5}), "data.loyalty_points", "integer"),
    (ev("customer.updated", {"phones": "13800138000"}), "data.phones", "list"),
    (ev("customer.updated", {"phones": ["138", "call me"]}), "data.phones", "item 1"),
    (ev("customer.updated", {"emails": ["nobody"]}), "data.emails", "email"),
    (ev("customer.updated", {"chat_ids": [""]}), "data.chat_ids", "non-empty"),
    (ev("customer.updated", {"name": 7}), "data.name", "string"),
    (ev("customer.updated", {"created_at": "soon"}), "data.created_at", "ISO-8601"),
    (ev("consent.changed", {}), "data.prediction_opt_out", "needs"),
    (ev("consent.changed", {"contact_opt_out": "yes"}), "data.contact_opt_out", "true or"),
    (ev("interaction", {"conversation_id": "k"}), "data.channel", "required"),
    (ev("interaction", {"channel": "fax", "conversation_id": "k"}), "data.channel", "one of phone"),
    (ev("inquiry", {"channel": "chat"}), "data.conversation_id", "required"),
    (
        ev("inquiry", {"channel": "chat", "conversation_id": "k", "direction": "up"}),
        "data.direction",
        "in, out",
    ),
    (
        ev("inquiry", {"channel": "chat", "conversation_id": "k", "status": "done"}),
        "data.status",
        "open, resolved",
    ),
    (ev("order.placed", {"order_id": "o"}), "data.amount", "required"),
    (ev("order.placed", {"order_id": "o", "amount": -3}), "data.amount", ">= 0"),
    (ev("order.placed", {"order_id": "o", "amount": "12"}), "data.amount", "number"),
    (ev("order.placed", {"amount": 3}), "data.order_id", "required"),
    (ev("order.refunded", {}), "data.order_id", "required"),
    (ev("ticket.opened", {"kind": "rant"}), "data.kind", "ticket, complaint"),
    (ev("ticket.resolved", {}), "data.ticket_id", "required"),
    (ev("rating", {"stars": 6}), "data.stars", "1 to 5"),
    (ev("rating", {"stars": 2.5}), "data.stars", "1 to 5"),
    (ev("rating", {}), "data.stars", "required"),
    (ev("page.viewed", {}), "data.page_id", "required"),
    (ev("delivery.delayed", {"order_id": "o", "delay_hours": -1}), "data.delay_hours", ">= 0"),
    (
        ev("intervention.outcome", {"intervention_id": 0, "outcome": "x"}),
        "data.intervention_id",
        ">= 1",
    ),
    (ev("intervention.outcome", {"intervention_id": 3}), "data.outcome", "required"),
    (
        ev("call.transcript", {"call_id": "k", "complaint_words": "slow"}),
        "data.complaint_words",
        "list",
    ),
    (ev("call.emotion", {"call_id": "k", "score": 1.5}), "data.score", "0 to 1"),
    (ev("call.emotion", {"score": 0.5}), "data.call_id", "required"),
    (ev("login", {"phone": "call me"}, customer_id=None), "data.phone", "phone number"),
]


@pytest.mark.parametrize(
    ("raw", "field", "reason"), BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)]
)
def test_bad_fields_are_named(raw, field, reason):
    with pytest.raises(EventError) as err:
        parse(raw, NOW)
    assert err.value.field == field
    assert reason in err.value.reason
    assert str(err.value).startswith(f"{field}: ")


def test_normalisation():
    e = parse(ev("customer.updated", GOOD["customer.updated"]), NOW)
    assert e.data["phones"] == ["+8613800138000"]
    assert e.data["emails"] == ["li@example.cn"]
    assert e.data["created_at"] == 1704135845.0
    assert e.contacts == (("phone", "+8613800138000"), ("email", "li@example.cn"), ("chat", "wx-1"))
    assert parse(ev("login", at="2025-01-01T00:00:00Z"), NOW).at == 1735689600.0
    assert parse(ev("login", at=1735689600), NOW).at == 1735689600.0


def test_contact_point_may_stand_for_the_customer():
    raw = ev(
        "inquiry",
        {"channel": "phone", "conversation_id": "k", "phone": "0086 138-0013-8000"},
        customer_id=None,
    )
    e = parse(raw, NOW)
    assert e.customer_id is None and e.contacts == (("phone", "+8613800138000"),)


def test_unknown_data_fields_are_kept():
    e = parse(ev("login", {"channel": "app", "device": "ios"}), NOW)
    assert e.data == {"channel": "app", "device": "ios"}


def test_envelope_for_listeners():
    e = parse(ev("delivery.delayed", GOOD["delivery.delayed"], source="shop"), NOW)
    assert e.envelope() == {
        "id": "e1",
        "type": "delivery.delayed",
        "customer_id": "c1",
        "at": NOW,
        "source": "shop",
        "data": {"order_id": "o1", "delay_hours": 5.0, "status_url": "https://x/o1"},
    }


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("13800138000", "+8613800138000"),
        ("+8613800138000", "13800138000"),
        ("8613800138000", "+8613800138000"),
        ("+86 138 0013 8000", "013800138000"),
        ("01012345678", "+861012345678"),
        ("+861012345678", "01012345678"),
        ("4155550100", "+14155550100"),
        ("+14155550100", "4155550100"),
        ("0014155550100", "14155550100"),
    ],
)
def test_caller_id_variants_reach_the_stored_form(given, stored):
    assert stored in phones.variants(given)
    assert phones.variants(given)[0] == phones.normalise(given)


def test_not_a_number_has_no_variants():
    assert phones.variants("anonymous") == []
    assert phones.variants("") == []
