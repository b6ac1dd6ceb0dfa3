"""The RTP media server on loopback: frames per leg, latching, teardown, no leaks (issue 6)."""

from __future__ import annotations

import asyncio
import os
import socket
import threading

import numpy as np
import pytest

from engine.media import rtp
from engine.media.port_pool import PortsExhausted
from engine.media.server import MediaServer
from tests.conftest import free_port


def _range(size: int) -> tuple[int, int]:
    start = free_port()
    return start, min(start + size - 1, 65535)


def _packet(seq: int, value: int, ssrc: int = 7) -> bytes:
    samples = np.full(rtp.FRAME_SAMPLES, value, dtype=">i2").tobytes()
    return rtp.build(seq, seq * rtp.FRAME_SAMPLES, ssrc, samples)


async def _until(predicate, timeout: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.005)


async def test_frames_arrive_in_order_with_loss_as_silence():
    server = MediaServer("127.0.0.1", *_range(20), max_delay=0.04)
    frames: list[bytes] = []
    leg = await server.allocate("call-1/caller", frames.append)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for seq in [0, 2, 1, 4, 5]:  # 3 is lost, 1 and 2 swapped
            sender.sendto(_packet(seq, seq + 1), ("127.0.0.1", leg.port))
        await _until(lambda: len(frames) == 6)
    values = [int(np.frombuffer(f, dtype=np.int16)[0]) for f in frames]
    assert values == [1, 2, 3, 0, 5, 6]
    assert all(len(f) == rtp.FRAME_BYTES for f in frames)
    stats = await server.release("call-1/caller")
    assert stats is not None and stats.jitter.lost == 1 and stats.packets == 5


async def test_the_first_sender_is_latched_and_garbage_counted():
    server = MediaServer("127.0.0.1", *_range(20))
    frames: list[bytes] = []
    leg = await server.allocate("leg", frames.append)
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b,
    ):
        a.sendto(_packet(0, 1), ("127.0.0.1", leg.port))
        await _until(lambda: len(frames) == 1)
        b.sendto(_packet(1, 9), ("127.0.0.1", leg.port))
        a.sendto(b"not rtp", ("127.0.0.1", leg.port))
        a.sendto(_packet(500, 2, ssrc=8), ("127.0.0.1", leg.port))  # re-bridged: new SSRC
        await _until(lambda: len(frames) == 2)
    assert (leg.stats.foreign, leg.stats.malformed, leg.stats.ssrc_changes) == (1, 1, 1)
    await server.close()
    assert server.ports_in_use == frozenset()


async def test_two_legs_get_their_own_ports_and_frames():
    server = MediaServer("127.0.0.1", *_range(20))
    got: dict[str, list[bytes]] = {"caller": [], "agent": []}
    legs = {name: await server.allocate(name, got[name].append) for name in got}
    assert legs["caller"].port != legs["agent"].port
    assert legs["caller"].external_host == f"127.0.0.1:{legs['caller'].port}"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(_packet(0, 11), ("127.0.0.1", legs["caller"].port))
        s.sendto(_packet(0, 22), ("127.0.0.1", legs["agent"].port))
        await _until(lambda: all(got.values()))
    assert np.frombuffer(got["agent"][0], dtype=np.int16)[0] == 22
    with pytest.raises(ValueError, match="already allocated"):
        await server.allocate("caller", print)
    await server.close()


async def test_a_full_range_says_so():
    server = MediaServer("127.0.0.1", *_range(2))
    await server.allocate("a", print)
    await server.allocate("b", print)
    with pytest.raises(PortsExhausted):
        await server.allocate("c", print)
    await server.close()


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_a_thousand_calls_leak_no_port_task_thread_or_socket():
    server = MediaServer("127.0.0.1", *_range(50), max_delay=0.02)
    tasks, threads, fds = len(asyncio.all_tasks()), threading.active_count(), _fds()
    received = 0

    def count(_frame: bytes) -> None:
        nonlocal received
        received += 1

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for call in range(1000):
            leg = await server.allocate(f"call-{call}", count)
            if call % 10 == 0:  # some calls carry audio with a gap held in the buffer
                sender.sendto(_packet(0, 1), ("127.0.0.1", leg.port))
                sender.sendto(_packet(2, 1), ("127.0.0.1", leg.port))
                await asyncio.sleep(0.002)
            await server.release(f"call-{call}")
    await asyncio.sleep(0.05)
    assert server.legs == {} and server.ports_in_use == frozenset()
    assert len(asyncio.all_tasks()) == tasks
    assert threading.active_count() == threads
    assert _fds() == fds
    assert received >= 100  # frames held at hangup are flushed, not dropped


async def test_one_task_drains_every_leg_on_a_tick_and_ends_with_the_last():
    # the loop is not woken per packet: one task reads all legs' sockets every tick
    server = MediaServer("127.0.0.1", *_range(40), tick=0.02)
    before = {t.get_name() for t in asyncio.all_tasks()}
    got: dict[str, list[bytes]] = {f"leg-{i}": [] for i in range(20)}
    legs = [await server.allocate(name, got[name].append) for name in got]
    added = [t.get_name() for t in asyncio.all_tasks() if t.get_name() not in before]
    assert added == ["media-drain"], "one task for every leg, not one per leg"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for seq in range(3):  # three packets per leg, all waiting when the tick comes
            for i, leg in enumerate(legs):
                sender.sendto(_packet(seq, i), ("127.0.0.1", leg.port))
        await _until(lambda: all(len(frames) == 3 for frames in got.values()))
    assert all(np.frombuffer(got[f"leg-{i}"][2], dtype=np.int16)[0] == i for i in range(20))
    for name in got:
        await server.release(name)
    await asyncio.sleep(0.05)
    assert {t.get_name() for t in asyncio.all_tasks()} == before
