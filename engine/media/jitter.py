"""A small jitter buffer: RTP payloads back in sequence order, lost ones as silence.

Pure: the caller passes ``now`` (seconds, any monotonic clock). A packet that arrives
ahead of a gap waits at most ``max_delay`` for the missing ones; then each missing
packet becomes one frame of silence and play-out goes on. Late and duplicate packets
are dropped. A jump of more than ``resync_gap`` packets (a restarted sender) starts a
new stream instead of filling seconds of silence.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.media.rtp import FRAME_BYTES, seq_delta


@dataclass
class JitterStats:
    received: int = 0
    played: int = 0
    lost: int = 0
    late: int = 0
    duplicate: int = 0
    resyncs: int = 0


class JitterBuffer:
    def __init__(
        self,
        max_delay: float = 0.06,
        capacity: int = 16,
        resync_gap: int = 100,
        frame_bytes: int = FRAME_BYTES,
    ) -> None:
        self.max_delay = max_delay
        self.capacity = capacity
        self.resync_gap = resync_gap
        self.stats = JitterStats()
        self._silence = bytes(frame_bytes)
        self._next: int | None = None
        self._pending: dict[int, tuple[bytes, float]] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def push(self, sequence: int, payload: bytes, now: float) -> list[bytes]:
        """Take one packet; return the frames now ready to play, in order."""
        self.stats.received += 1
        out: list[bytes] = []
        if self._next is None:
            self._next = sequence
        delta = seq_delta(sequence, self._next)
        if abs(delta) > self.resync_gap:
            out += self.flush()
            self.stats.resyncs += 1
            self._next, delta = sequence, 0
        if delta < 0:
            self.stats.late += 1
            return out + self.poll(now)
        if sequence in self._pending:
            self.stats.duplicate += 1
            return out + self.poll(now)
        self._pending[sequence] = (payload, now)
        if len(payload) and len(payload) != len(self._silence):
            self._silence = bytes(len(payload))
        return out + self.poll(now)

    def poll(self, now: float) -> list[bytes]:
        """Frames whose wait is over: in-order packets, silence for gaps waited out."""
        out: list[bytes] = []
        while self._pending and self._next is not None:
            item = self._pending.pop(self._next, None)
            if item is None:
                oldest = min(arrival for _, arrival in self._pending.values())
                if now - oldest < self.max_delay and len(self._pending) <= self.capacity:
                    break
                out.append(self._silence)
                self.stats.lost += 1
            else:
                out.append(item[0])
                self.stats.played += 1
            self._next = (self._next + 1) & 0xFFFF
        return out

    def flush(self) -> list[bytes]:
        """Everything still held, in order, gaps as silence (hangup, resync)."""
        return self.poll(float("inf"))
