"""Dial-time compliance: calling windows in the customer's time zone (DST included),
DNC and opt-outs, attempts, retry intervals per outcome, the 72 h rule, ringing time."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dialer.core.actions import Dial
from engine.dialer.core.compliance import (
    Attempt,
    CallingWindow,
    Contact,
    Policy,
    check,
    pick,
    ring_timeout,
    window_check,
)

NY = Contact("c1", "+12125550100", "America/New_York")
LONDON = Contact("c2", "+442071234567", "Europe/London")
SHANGHAI = Contact("c3", "+862112345678", "Asia/Shanghai")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("contact", "now", "allowed"),
    [
        (NY, utc(2026, 1, 15, 14, 0), True),  # 09:00 EST
        (NY, utc(2026, 1, 15, 13, 59), False),  # 08:59 EST
        (NY, utc(2026, 7, 15, 13, 0), True),  # 09:00 EDT: the same UTC hour was 08:00 in winter
        (NY, utc(2026, 1, 16, 0, 59), True),  # 19:59 EST
        (NY, utc(2026, 1, 16, 1, 0), False),  # 20:00 EST: the window is [09:00, 20:00)
        (LONDON, utc(2026, 1, 15, 9, 0), True),  # 09:00 GMT
        (LONDON, utc(2026, 7, 15, 8, 30), True),  # 09:30 BST
        (LONDON, utc(2026, 7, 15, 7, 30), False),  # 08:30 BST
        (SHANGHAI, utc(2026, 1, 15, 1, 0), True),  # 09:00 CST, no DST
        (SHANGHAI, utc(2026, 1, 15, 12, 0), False),  # 20:00 CST
    ],
)
def test_calling_window_is_read_in_the_customers_local_time(contact, now, allowed):
    assert check(contact, [], now).allowed is allowed


def test_window_opening_across_the_us_spring_forward():
    # Sunday 2026-03-08 02:00 EST -> 03:00 EDT. At 21:00 EST on the Saturday the window
    # reopens at 09:00 EDT, which is 13:00 UTC (not 14:00 as the day before).
    decision = check(NY, [], utc(2026, 3, 8, 2, 0))
    assert decision.reason == "outside-calling-window"
    assert decision.retry_at == utc(2026, 3, 8, 13, 0)


def test_window_opening_across_the_uk_autumn_change():
    # Sunday 2026-10-25 02:00 BST -> 01:00 GMT: 09:00 local is 09:00 UTC that day.
    decision = check(LONDON, [], utc(2026, 10, 24, 20, 0))
    assert decision.retry_at == utc(2026, 10, 25, 9, 0)


def test_a_window_that_starts_inside_the_spring_gap_opens_after_it():
    window = CallingWindow(time(2, 30), time(5, 0))
    decision = window_check(utc(2026, 3, 8, 5, 0), "America/New_York", window)  # 00:00 EST
    local = decision.retry_at.astimezone(ZoneInfo("America/New_York"))
    assert local.date().isoformat() == "2026-03-08" and local.hour == 3


def test_weekdays_only():
    policy = Policy(CallingWindow(weekdays=frozenset(range(5))))
    saturday_noon = utc(2026, 1, 17, 17, 0)
    decision = check(NY, [], saturday_noon, policy)
    assert decision.reason == "outside-calling-window"
    assert decision.retry_at == utc(2026, 1, 19, 14, 0)  # Monday 09:00 EST


@pytest.mark.parametrize(
    ("contact", "blocked", "reason"),
    [
        (NY, {"+12125550100"}, "dnc"),
        (Contact("c9", "+12125550199", "America/New_York", opted_out=True), set(), "opted-out"),
        (Contact("c9", "+12125550199", "Mars/Olympus"), set(), "unknown-timezone"),
    ],
)
def test_dnc_opt_out_and_bad_zones_are_refused(contact, blocked, reason):
    decision = check(contact, [], utc(2026, 1, 15, 15, 0), blocked=blocked.__contains__)
    assert (decision.allowed, decision.reason) == (False, reason)


NOON_NY = utc(2026, 1, 15, 17, 0)


@pytest.mark.parametrize(
    ("outcome", "ago", "allowed"),
    [
        ("busy", timedelta(minutes=9), False),
        ("busy", timedelta(minutes=10), True),
        ("no-answer", timedelta(hours=1), False),
        ("no-answer", timedelta(hours=2), True),
        ("machine", timedelta(hours=3), False),
        ("machine", timedelta(hours=4), True),
        ("failed", timedelta(minutes=20), True),
    ],
)
def test_retry_interval_depends_on_the_last_outcome(outcome, ago, allowed):
    decision = check(NY, [Attempt(NOON_NY - ago, outcome)], NOON_NY)
    assert decision.allowed is allowed
    if not allowed:
        assert decision.reason == f"retry-after-{outcome}"
        assert decision.retry_at == NOON_NY - ago + Policy().retry_after[outcome]


def test_max_attempts():
    attempts = [Attempt(NOON_NY - timedelta(days=d), "no-answer") for d in range(1, 7)]
    assert check(NY, attempts, NOON_NY).reason == "max-attempts"
    assert check(NY, attempts[:5], NOON_NY).allowed


def test_72_hour_rule_after_an_abandoned_call():
    attempts = [Attempt(NOON_NY - timedelta(hours=71), "abandoned")]
    decision = check(NY, attempts, NOON_NY)
    assert decision.reason == "abandoned-72h"
    assert decision.retry_at == NOON_NY + timedelta(hours=1)
    assert check(NY, attempts, NOON_NY, agent_reserved=True).allowed
    assert check(NY, [Attempt(NOON_NY - timedelta(hours=72), "abandoned")], NOON_NY).allowed


def test_lines_ring_at_least_15_seconds():
    assert ring_timeout(Policy(), 5.0) == 15.0
    assert ring_timeout(Policy(), 25.0) == 25.0
    with pytest.raises(ValueError):
        Policy(min_ring=10.0)
    with pytest.raises(ValueError):
        check(NY, [], datetime(2026, 1, 15, 12))  # naive time is refused


def test_pick_takes_the_first_callable_contacts_and_reports_the_others():
    contacts = [
        (NY, []),
        (LONDON, []),
        (SHANGHAI, []),
        (Contact("c4", "+12125550104", "America/Chicago"), []),
    ]
    dials, skipped = pick(contacts, 2, NOON_NY, ring=10.0)  # 12:00 NY, 17:00 London
    assert dials == [Dial("c1", "+12125550100", 15.0), Dial("c2", "+442071234567", 15.0)]
    assert skipped == []
    dials, skipped = pick(contacts[2:], 5, NOON_NY)  # 01:00 in Shanghai
    assert [d.contact_id for d in dials] == ["c4"]
    assert [(c.id, d.reason) for c, d in skipped] == [("c3", "outside-calling-window")]


zones = st.sampled_from(
    [
        "America/New_York",
        "America/Los_Angeles",
        "Europe/London",
        "Europe/Berlin",
        "Australia/Sydney",
        "Asia/Kolkata",
        "UTC",
    ]
)


@settings(max_examples=200, deadline=None)
@given(zone=zones, seconds=st.integers(0, 3 * 365 * 86400))
def test_allowed_exactly_inside_the_local_window_and_next_opening_is_a_local_start(zone, seconds):
    now = utc(2025, 1, 1) + timedelta(seconds=seconds)
    decision = window_check(now, zone, CallingWindow())
    local = now.astimezone(ZoneInfo(zone))
    assert decision.allowed is (time(9) <= local.time() < time(20))
    if not decision.allowed:
        opens = decision.retry_at.astimezone(ZoneInfo(zone))
        assert decision.retry_at > now
        assert (opens.hour, opens.minute) == (9, 0)
        assert decision.retry_at - now <= timedelta(hours=14)
