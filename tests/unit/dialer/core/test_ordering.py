"""Contact ordering: callbacks due soon first (earliest first), then risk x value."""

from engine.dialer.core.ordering import URGENT, callback_priority, order

NOW = 1_000_000.0


def ids(rows):
    return [r["id"] for r in rows]


def test_due_soon_beats_value_then_priority_then_due_time():
    rows = [
        {"id": 1, "priority": 900.0, "due_at": NOW + 20 * 3600},
        {"id": 2, "priority": 10.0, "due_at": NOW + 30 * 60},  # due in 30 min
        {"id": 3, "priority": 50.0, "due_at": NOW - 60},  # overdue
        {"id": 4, "priority": 900.0, "due_at": NOW + 10 * 3600},  # same value, due earlier
        {"id": 5, "priority": 300.0, "due_at": NOW + 23 * 3600},
    ]
    assert ids(order(rows, NOW)) == [3, 2, 4, 1, 5]


def test_manual_contacts_by_priority_then_import_order():
    rows = [
        {"id": 1, "priority": 0.0, "due_at": None},
        {"id": 2, "priority": 5.0},
        {"id": 3, "priority": 0.0, "due_at": None},
        {"id": 4, "priority": None},
    ]
    assert ids(order(rows, NOW)) == [2, 1, 3, 4]


def test_the_urgent_boundary():
    edge = [
        {"id": 1, "priority": 1.0, "due_at": NOW + URGENT},
        {"id": 2, "priority": 2.0, "due_at": NOW + URGENT + 1},
    ]
    assert ids(order(edge, NOW)) == [1, 2]


def test_callback_priority_is_risk_times_value():
    assert callback_priority(0.8, 500.0) == 400.0
    assert callback_priority(0.8, None) == 0.8  # unknown value counts as 1
    assert callback_priority(None, 500.0) == 0.0
