"""Which failed offers hold an agent back from one box only, and which pause them."""

import pytest

from engine.routing.failures import Verdict, exclusions, judge


@pytest.mark.parametrize(
    ("failure", "scope", "reason"),
    [
        # this box cannot reach the phone: excluded from this box's offers only
        ("originate-failed", "box", "originate-failed"),  # e.g. not registered on this box
        ("congestion", "box", "congestion"),  # trunk / far box said congestion
        ("unreachable", "box", "unreachable"),  # CHANUNAVAIL
        ("UNREACHABLE", "box", "unreachable"),
        # the person did not take it: paused everywhere
        ("busy", "agent", "busy"),
        ("rejected", "agent", "busy"),
        ("no-answer", "agent", "ring-timeout"),
        ("timeout", "agent", "ring-timeout"),
        ("ring-timeout", "agent", "ring-timeout"),
        # unknown: as a ring nobody answered
        ("", "agent", "ring-timeout"),
        ("something-new", "agent", "ring-timeout"),
    ],
)
def test_a_failed_offer_is_judged_per_box_or_per_agent(failure, scope, reason):
    assert judge(failure) == Verdict(scope, reason)


def test_an_agents_exclusions_are_the_unexpired_ones_by_box():
    row = {
        "state": "available",
        "x:box-b": "130.5|unreachable",
        "x:box-c": "99.0|congestion",  # over
        "x:box-d": "junk",
    }
    assert exclusions(row, now=100.0) == {"box-b": {"reason": "unreachable", "until": 130.5}}
    assert exclusions(row, now=131.0) == {}
