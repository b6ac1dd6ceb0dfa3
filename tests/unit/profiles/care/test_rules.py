"""Proactive care rules: fire once per cause, respect opt-out and quiet hours."""

from __future__ import annotations

import itertools
import random
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.profiles.care import rules as care
from engine.profiles.care.rules import CareEvent, Customer, Decision, evaluate
from engine.profiles.ruleset import LiveRules, RuleFileError

SKILLS = Path(__file__).resolve().parents[4] / "skills"
RULES = care.load(SKILLS / "care-rules.yaml")
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI).timestamp()
CUSTOMER = Customer("c1", timezone="Asia/Shanghai")


class Feed:
    """Plays a customer's events through the rules the way the adapter does: history of
    watched events and the causes already served are kept between events."""

    def __init__(self, customer: Customer = CUSTOMER) -> None:
        self.customer = customer
        self.history: list[CareEvent] = []
        self.fired: set[tuple[str, str]] = set()
        self.codes = (f"CODE{i}" for i in itertools.count(1))

    def __call__(self, type_: str, at: float, **data: object) -> list[Decision]:
        event = CareEvent(type_, at, data)
        out = evaluate(
            RULES,
            self.customer,
            event,
            self.history,
            self.fired,
            at,
            new_code=lambda: next(self.codes),
        )
        if event.type in RULES.remembered:
            self.history.append(event)
        self.fired |= {(d.rule, d.cause) for d in out}
        return out


def test_delivery_delay_notifies_with_delay_status_and_coupon_once_per_order():
    feed = Feed()
    first = feed(
        "delivery.delayed", NOON, order_id="A1", delay_hours=6, status_url="https://t.example/A1"
    )
    assert [(d.rule, d.cause, d.action, d.status) for d in first] == [
        ("delivery-delay", "A1", "notify", "send")
    ]
    assert "A1" in first[0].message and "6 hours" in first[0].message
    assert "https://t.example/A1" in first[0].message and "20 yuan coupon" in first[0].message
    assert first[0].offer == {"kind": "coupon", "value": 20}
    assert feed("delivery.delayed", NOON + 3600, order_id="A1", delay_hours=9) == []
    assert [
        d.cause for d in feed("delivery.delayed", NOON + 7200, order_id="B2", delay_hours=2)
    ] == ["B2"]
    assert feed("delivery.delayed", NOON, order_id="C3", delay_hours=0.5) == [], "under 1 h"


def test_promotion_viewed_three_times_without_order_gets_one_discount_code():
    feed = Feed()
    views = [
        feed("page.viewed", NOON + i * 3600, page_kind="promotion", page_id="p9") for i in range(5)
    ]
    assert [len(v) for v in views] == [0, 0, 1, 0, 0]
    decision = views[2][0]
    assert decision.action == "discount-code" and decision.offer["code"] == "CODE1"
    assert "CODE1" in decision.message
    assert feed("page.viewed", NOON, page_kind="article", page_id="p9") == []


def test_an_order_between_views_means_no_discount_code():
    feed = Feed()
    feed("page.viewed", NOON, page_kind="promotion", page_id="p1")
    feed("order.placed", NOON + 60, order_id="x")
    feed("page.viewed", NOON + 120, page_kind="promotion", page_id="p1")
    assert feed("page.viewed", NOON + 180, page_kind="promotion", page_id="p1") == []


def test_views_spread_beyond_the_window_do_not_add_up():
    feed = Feed()
    assert all(
        feed("page.viewed", NOON + i * 5 * 86400, page_kind="promotion", page_id="p1") == []
        for i in range(4)
    )


def test_repeated_inquiry_on_one_topic_escalates_even_in_quiet_hours():
    feed = Feed()
    night = datetime(2026, 11, 20, 23, 30, tzinfo=SHANGHAI).timestamp()
    assert feed("inquiry", night - 86400, topic="billing") == []
    assert feed("inquiry", night - 3600, topic="delivery") == []
    got = feed("inquiry", night, topic="billing")
    assert [(d.action, d.channel, d.status, d.due) for d in got] == [
        ("escalate", "supervisor", "send", night)
    ]
    assert feed("inquiry", night + 60, topic="billing") == [], "once per topic"


def test_opted_out_customers_get_nothing():
    feed = Feed(Customer("c2", opted_out=True, timezone="Asia/Shanghai"))
    assert feed("delivery.delayed", NOON, order_id="A1", delay_hours=6) == []
    assert [feed("inquiry", NOON + i, topic="billing") for i in range(3)] == [[], [], []]


@pytest.mark.parametrize(
    ("tz", "local", "deferred_to"),
    [
        ("Asia/Shanghai", (22, 30), (2026, 11, 21, 8, 0)),
        ("Asia/Shanghai", (3, 0), (2026, 11, 20, 8, 0)),
        ("Asia/Shanghai", (8, 0), None),
        ("Asia/Shanghai", (20, 59), None),
        ("Europe/London", (23, 15), (2026, 11, 21, 8, 0)),
        (None, (21, 0), (2026, 11, 21, 8, 0)),  # default time zone
    ],
)
def test_customer_facing_care_waits_for_the_end_of_quiet_hours(tz, local, deferred_to):
    zone = ZoneInfo(tz or "Asia/Shanghai")
    now = datetime(2026, 11, 20, *local, tzinfo=zone).timestamp()
    feed = Feed(Customer("c3", timezone=tz))
    (decision,) = feed("delivery.delayed", now, order_id="Q", delay_hours=3)
    if deferred_to is None:
        assert (decision.status, decision.due) == ("send", now)
    else:
        assert decision.status == "deferred"
        assert decision.due == datetime(*deferred_to, tzinfo=zone).timestamp()


def test_same_moment_is_quiet_in_shanghai_and_daytime_in_london():
    at = datetime(2026, 11, 20, 23, 0, tzinfo=SHANGHAI).timestamp()  # 15:00 in London
    assert care.quiet_until(RULES, at, "Asia/Shanghai") is not None
    assert care.quiet_until(RULES, at, "Europe/London") is None


def test_generated_customers_each_cause_fires_exactly_once():
    rnd = random.Random(11)
    total, expected = 0, 0
    for c in range(300):
        feed = Feed(Customer(f"c{c}", timezone="Europe/Paris"))
        orders = {f"o{c}-{k}" for k in range(rnd.randint(1, 4))}
        expected += len(orders)
        delays = sorted(orders) + [rnd.choice(sorted(orders)) for _ in range(rnd.randint(0, 9))]
        rnd.shuffle(delays)
        for order in delays:
            total += len(
                feed(
                    "delivery.delayed",
                    NOON + rnd.randint(0, 86400),
                    order_id=order,
                    delay_hours=rnd.randint(1, 48),
                )
            )
        orders_seen = {cause for rule, cause in feed.fired}
        assert orders_seen == orders
    assert total == expected


def test_bad_rules_file_says_file_and_line_and_last_good_rules_stay(tmp_path):
    path = tmp_path / "care-rules.yaml"
    good = (SKILLS / "care-rules.yaml").read_text()
    path.write_text(good)
    live = LiveRules(path, care.SCHEMA, care.build)
    broken = good.replace("action: discount-code", "action: discount")
    path.write_text(broken)
    assert live.reload() is False
    line = next(i for i, t in enumerate(broken.splitlines(), 1) if "action: discount" in t)
    assert live.errors and live.errors[0].startswith(f"{path}:{line}:"), live.errors
    assert [r.name for r in live.current.rules] == [r.name for r in RULES.rules]
    path.write_text(good.replace("Asia/Shanghai", "Mars/Olympus"))
    assert live.reload() is False and "unknown time zone 'Mars/Olympus'" in live.errors[0]
    with pytest.raises(RuleFileError, match=r"care-rules.yaml:\d+:\d+: YAML syntax"):
        care.parse("rules: [", "care-rules.yaml")
