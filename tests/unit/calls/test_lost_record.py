"""A call its engine lost (killed while the call was up) gets its record closed on the
engine's restart: ``calls.state.lost_record``."""

from __future__ import annotations

import pytest

from engine.calls.state import lost_record

SNAP = {
    "id": "c1",
    "status": "connected",
    "engine": "box-a",
    "caller_number": "13800138000",
    "customer_id": "C9",
    "agent_id": "2003",
    "arrived_at": 100.0,
    "connected_at": 110.0,
    "ended_at": None,
    "result": None,
}


@pytest.mark.parametrize(
    ("was", "status"),
    [
        ("connected", "completed"),
        ("queued", "abandoned"),
        ("ringing", "abandoned"),
        ("ivr", "ended-in-ivr"),
        ("identifying", "ended-in-ivr"),
    ],
)
def test_status_follows_how_far_the_call_got(was, status):
    connected = 110.0 if was == "connected" else None
    closed = lost_record(None, {**SNAP, "status": was, "connected_at": connected}, 200.0)
    assert closed is not None
    assert (closed["status"], closed["ended_at"], closed["end_cause"]) == (
        status,
        200.0,
        "engine-lost",
    )


def test_the_saved_record_wins_over_the_snapshot_and_nones_are_dropped():
    saved = {"id": "c1", "status": "in-progress", "agent_id": "2004", "queue": "general"}
    closed = lost_record(saved, SNAP, 200.0)
    assert closed == {
        "id": "c1",
        "status": "completed",
        "caller_number": "13800138000",
        "customer_id": "C9",
        "agent_id": "2004",
        "queue": "general",
        "arrived_at": 100.0,
        "connected_at": 110.0,
        "ended_at": 200.0,
        "end_cause": "engine-lost",
    }


def test_a_saved_connection_wins_over_a_snapshot_taken_before_it():
    saved = {"id": "c1", "status": "in-progress", "connected_at": 110.0}
    snap = {**SNAP, "status": "ringing", "connected_at": None}
    assert lost_record(saved, snap, 200.0)["status"] == "completed"


def test_a_record_already_closed_is_left_alone():
    assert lost_record({"id": "c1", "status": "completed"}, SNAP, 200.0) is None
