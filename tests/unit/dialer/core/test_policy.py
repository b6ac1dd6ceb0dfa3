"""Campaign policy: JSON in, the core's types out, clear errors naming the field."""

from datetime import time, timedelta

import pytest

from engine.dialer.core.guard import DAY
from engine.dialer.core.policy import CampaignPolicy, from_dict, parse
from engine.errors import InvalidRequest


def test_defaults_and_a_full_policy():
    assert parse(None) == CampaignPolicy()
    p = parse(
        {
            "window": {"start": "10:00", "end": "19:30", "weekdays": [0, 1, 2, 3, 4]},
            "max_attempts": 4,
            "retry_seconds": {"busy": 30},
            "ring_seconds": 30,
            "machine": "retry",
            "abandon_limit": 0.02,
            "abandon_window": "UK",
            "timezone": "Asia/Shanghai",
        }
    )
    c = p.compliance()
    assert (c.window.start, c.window.end) == (time(10), time(19, 30))
    assert c.window.weekdays == frozenset(range(5)) and c.max_attempts == 4
    assert c.retry_after["busy"] == timedelta(seconds=30)
    assert c.retry_after["no-answer"] == timedelta(hours=2)  # the default stays
    assert c.abandoned_rest == 72 * 3600 and c.min_ring == 15
    g = p.guard()
    assert (g.limit, g.window) == (0.02, DAY)
    assert from_dict(p.as_dict()) == p


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        ({"window": {"start": "25:00"}}, "policy.window.start"),
        ({"window": {"start": "20:00", "end": "09:00"}}, "policy.window.start"),
        ({"window": {"weekdays": [7]}}, "policy.window.weekdays"),
        ({"max_attempts": 0}, "policy.max_attempts"),
        ({"ring_seconds": 10}, "policy.ring_seconds"),
        ({"abandon_limit": "3%"}, "policy.abandon_limit"),
        ({"abandon_window": "EU"}, "policy.abandon_window"),
        ({"machine": "hangup"}, "policy.machine"),
        ({"timezone": "Nowhere/City"}, "policy.timezone"),
        ({"retry_seconds": {"abandoned": 1}}, "policy.retry_seconds"),
        ({"colour": "red"}, "policy.colour"),
        ("fast", "policy"),
    ],
)
def test_bad_policies_name_the_field(policy, field):
    with pytest.raises(InvalidRequest) as err:
        parse(policy)
    assert err.value.details["field"] == field
