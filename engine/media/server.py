"""The asyncio RTP media server: one UDP port per call leg, PCM frames out.

For each call leg to hear (caller or agent), the call path ``allocate``s a leg, points
an ARI externalMedia channel (``external_host=leg.external_host``, ``format=slin16``)
at it, and gets 20 ms frames of native-endian 16 kHz int16 PCM through ``sink`` in
order, with lost packets as silence (``engine.media.jitter``). The first sender address
is latched; packets from elsewhere are counted and dropped. A new SSRC (Asterisk
re-bridged the channel) flushes and restarts the jitter buffer. ``release`` on hangup
flushes what is held and closes the socket: nothing outlives a leg.

The sockets are not watched one by one: every ``tick`` (20 ms, one RTP packet's worth)
one task drains every leg's socket and its jitter buffer, while any leg is allocated.
Watched one by one, each packet woke the event loop, and a woken loop on a busy machine
waits for a CPU: with ten callers in spoken menus during a 200-call ramp the loop waited
about as long as it ran (benchmarks/inbound_calls.py). Drained on a tick the wake-ups
are 50 a second whatever the number of legs, and audio is at most one tick later.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.logs import get_logger
from engine.media import rtp
from engine.media.jitter import JitterBuffer, JitterStats
from engine.media.port_pool import PortPool, PortsExhausted
from engine.settings import Settings

log = get_logger(__name__)
FrameSink = Callable[[bytes], None]
TICK = 0.02  # how often every leg's socket is drained (s): one RTP packet's worth


@dataclass
class LegStats:
    packets: int = 0
    malformed: int = 0
    foreign: int = 0
    ssrc_changes: int = 0
    frames: int = 0
    jitter: JitterStats = field(default_factory=JitterStats)


class MediaLeg:
    """One call leg's UDP endpoint. Created by ``MediaServer.allocate``, drained by its
    tick (``pump``)."""

    def __init__(
        self,
        leg_id: str,
        host: str,
        port: int,
        sock: socket.socket,
        sink: FrameSink,
        max_delay: float,
    ) -> None:
        self.leg_id, self.host, self.port = leg_id, host, port
        self.stats = LegStats()
        self._sink = sink
        self._max_delay = max_delay
        self._jitter = JitterBuffer(max_delay=max_delay)
        self._source: tuple[str, int] | None = None
        self._ssrc: int | None = None
        self._sock: socket.socket | None = sock

    @property
    def external_host(self) -> str:
        """What ARI's externalMedia ``external_host`` parameter needs: ``host:port``."""
        return f"{self.host}:{self.port}"

    def pump(self, now: float) -> None:
        """Read every datagram waiting on the socket, then hand on the frames whose turn
        has come (in order; a missing one as silence once ``max_delay`` has passed)."""
        sock = self._sock
        while sock is not None:
            try:
                data, addr = sock.recvfrom(2048)
            except OSError:  # nothing more (or an ICMP error, reported once): next tick
                break
            self.datagram_received(data, addr, now)
        self._deliver(self._jitter.poll(now))

    def datagram_received(self, data: bytes, addr: tuple[str, int], now: float) -> None:
        if self._source is None:
            self._source = addr
        elif addr != self._source:
            self.stats.foreign += 1
            return
        try:
            packet = rtp.parse(data)
        except rtp.RtpError:
            self.stats.malformed += 1
            return
        self.stats.packets += 1
        if packet.ssrc != self._ssrc:
            if self._ssrc is not None:
                self.stats.ssrc_changes += 1
                self._deliver(self._jitter.flush())
                self._rotate_jitter()
            self._ssrc = packet.ssrc
        self._deliver(self._jitter.push(packet.sequence, rtp.slin_to_native(packet.payload), now))

    def _rotate_jitter(self) -> None:
        old = self._jitter.stats
        self._jitter = JitterBuffer(max_delay=self._max_delay)
        self._jitter.stats = old

    def _deliver(self, frames: list[bytes]) -> None:
        for frame in frames:
            self.stats.frames += 1
            try:
                self._sink(frame)
            except Exception:  # a broken consumer must not break the media path
                log.exception("media.sink_failed", leg=self.leg_id)

    def close(self, now: float) -> None:
        """Read what has arrived, hand on everything held, close the socket."""
        if self._sock is None:
            return
        self.pump(now)
        self._deliver(self._jitter.flush())
        self.stats.jitter = self._jitter.stats
        self._sock.close()
        self._sock = None


class MediaServer:
    """Hands out one UDP port per call leg from ``[port_start, port_end]`` on ``host``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port_start: int = 30000,
        port_end: int = 30999,
        max_delay: float = 0.06,
        tick: float = TICK,
    ) -> None:
        self.host = host
        self.max_delay = max_delay
        self.tick = tick
        self._ports = PortPool(port_start, port_end)
        self._legs: dict[str, MediaLeg] = {}
        self._draining: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> MediaServer:
        return cls(settings.media_host, settings.media_port_start, settings.media_port_end)

    @property
    def legs(self) -> dict[str, MediaLeg]:
        return dict(self._legs)

    @property
    def ports_in_use(self) -> frozenset[int]:
        return self._ports.in_use

    async def allocate(self, leg_id: str, sink: FrameSink) -> MediaLeg:
        """Bind a port for ``leg_id``; frames go to ``sink`` (called on the event loop)."""
        if leg_id in self._legs:
            raise ValueError(f"media leg {leg_id!r} is already allocated")
        for port in self._ports.candidates():
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.setblocking(False)
                sock.bind((self.host, port))
            except OSError:
                sock.close()
                continue  # taken by another process: try the next one
            leg = MediaLeg(leg_id, self.host, port, sock, sink, self.max_delay)
            self._ports.take(port)
            self._legs[leg_id] = leg
            if self._draining is None or self._draining.done():
                self._draining = asyncio.create_task(self._drain(), name="media-drain")
            log.debug("media.allocated", leg=leg_id, port=port)
            return leg
        raise PortsExhausted(
            f"no free UDP port in {self._ports.start}-{self._ports.end} "
            f"({len(self._legs)} legs allocated)"
        )

    async def _drain(self) -> None:
        """Every tick, every leg's socket and jitter buffer; ends with the last leg."""
        loop = asyncio.get_running_loop()
        while self._legs:
            now = loop.time()
            for leg in list(self._legs.values()):
                try:
                    leg.pump(now)
                except Exception:  # one leg's fault must not silence the others
                    log.exception("media.pump_failed", leg=leg.leg_id)
            await asyncio.sleep(self.tick)

    async def release(self, leg_id: str) -> LegStats | None:
        """Flush and close a leg (hangup). Unknown or already released: ``None``."""
        leg = self._legs.pop(leg_id, None)
        if leg is None:
            return None
        leg.close(asyncio.get_running_loop().time())
        self._ports.give_back(leg.port)
        jitter = leg.stats.jitter  # gaps: lost packets, or a jump (resync) past 2 s
        (log.warning if jitter.lost or jitter.resyncs else log.debug)(
            "media.audio_lost" if jitter.lost or jitter.resyncs else "media.released",
            leg=leg_id,
            packets=leg.stats.packets,
            lost=jitter.lost,
            late=jitter.late,
            resyncs=jitter.resyncs,
        )
        return leg.stats

    async def close(self) -> None:
        for leg_id in list(self._legs):
            with contextlib.suppress(Exception):
                await self.release(leg_id)
        if self._draining is not None:
            self._draining.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._draining
            self._draining = None
