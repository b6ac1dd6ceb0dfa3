"""UDP ports for media legs: one port per call leg, handed out round-robin.

Round-robin (rather than lowest-free-first) keeps a just-released port idle as long as
possible, so stray packets still in flight from a finished call do not land in a new one.
"""

from __future__ import annotations


class PortsExhausted(RuntimeError):
    """Every port of the media range is in use."""


class PortPool:
    def __init__(self, start: int, end: int) -> None:
        if not 0 < start <= end < 65536:
            raise ValueError(f"bad port range {start}-{end}")
        self.start, self.end = start, end
        self._in_use: set[int] = set()
        self._cursor = start

    @property
    def size(self) -> int:
        return self.end - self.start + 1

    @property
    def in_use(self) -> frozenset[int]:
        return frozenset(self._in_use)

    def candidates(self) -> list[int]:
        """Free ports in the order to try them, starting after the last one handed out."""
        span = range(self._cursor, self.end + 1), range(self.start, self._cursor)
        return [p for part in span for p in part if p not in self._in_use]

    def take(self, port: int) -> None:
        if port in self._in_use or not self.start <= port <= self.end:
            raise ValueError(f"port {port} is not free in {self.start}-{self.end}")
        self._in_use.add(port)
        self._cursor = port + 1 if port < self.end else self.start

    def give_back(self, port: int) -> None:
        self._in_use.discard(port)
