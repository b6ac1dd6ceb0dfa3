"""Jitter buffer: reordering, loss as silence, late/duplicate packets, resync (issue 6)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.media.jitter import JitterBuffer

SILENCE = bytes(4)


def frame(n: int) -> bytes:
    return n.to_bytes(2, "big") * 2


def test_in_order_packets_play_at_once():
    jb = JitterBuffer(max_delay=0.06, frame_bytes=4)
    assert [jb.push(s, frame(s), 0.02 * s) for s in range(3)] == [
        [frame(0)],
        [frame(1)],
        [frame(2)],
    ]


def test_reordered_packets_come_out_in_order():
    jb = JitterBuffer(max_delay=0.06, frame_bytes=4)
    out = []
    for t, seq in enumerate([0, 2, 1, 3, 5, 4]):
        out += jb.push(seq, frame(seq), t * 0.02)
    assert out == [frame(s) for s in range(6)]
    assert jb.stats.lost == 0


def test_loss_is_silence_after_the_bounded_delay():
    jb = JitterBuffer(max_delay=0.06, frame_bytes=4)
    assert jb.push(0, frame(0), 0.0) == [frame(0)]
    assert jb.push(3, frame(3), 0.06) == []  # 1 and 2 missing: wait
    assert jb.poll(0.10) == []
    assert jb.poll(0.121) == [SILENCE, SILENCE, frame(3)]
    assert jb.stats.lost == 2


def test_late_and_duplicate_packets_are_dropped():
    jb = JitterBuffer(max_delay=0.04, frame_bytes=4)
    jb.push(0, frame(0), 0.0)
    jb.push(2, frame(2), 0.01)
    jb.push(2, frame(2), 0.015)
    assert jb.poll(0.06) == [SILENCE, frame(2)]
    assert jb.push(1, frame(1), 0.07) == []
    assert (jb.stats.late, jb.stats.duplicate) == (1, 1)


def test_wraps_around_sequence_65535():
    jb = JitterBuffer(frame_bytes=4)
    out = []
    for seq in [65534, 0, 65535, 1]:
        out += jb.push(seq, frame(seq), 0.0)
    assert out == [frame(65534), frame(65535), frame(0), frame(1)]


def test_a_restarted_sender_resyncs_without_seconds_of_silence():
    jb = JitterBuffer(frame_bytes=4, resync_gap=100)
    jb.push(10, frame(10), 0.0)
    assert jb.push(5000, frame(5000), 0.02) == [frame(5000)]
    assert jb.stats.resyncs == 1 and jb.stats.lost == 0


def test_capacity_bounds_what_is_held():
    jb = JitterBuffer(max_delay=10.0, capacity=4, frame_bytes=4)
    jb.push(0, frame(0), 0.0)
    out = []
    for seq in range(2, 8):
        out += jb.push(seq, frame(seq), 0.0)
    assert len(jb) <= 4 and out[0] == SILENCE


@settings(max_examples=200, deadline=None)
@given(st.permutations(list(range(30))), st.sets(st.integers(1, 29), max_size=8))
def test_any_local_reordering_and_loss_plays_every_slot_once_in_order(order, lost):
    """With a window large enough, output = every sequence slot in order, lost ones silent."""
    jb = JitterBuffer(max_delay=1.0, capacity=64, frame_bytes=4)
    out = jb.push(0, frame(0), 0.0)
    for seq in order:
        if seq not in lost and seq != 0:
            out += jb.push(seq, frame(seq), 0.0)
    out += jb.flush()
    last = max(set(range(30)) - lost)
    assert out == [SILENCE if s in lost else frame(s) for s in range(last + 1)]
