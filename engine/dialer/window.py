"""Live answers and abandons over a rolling window, in bounded memory.

Events are counted in ``buckets`` time buckets per window. Bucketing errs on the
safe side: a bucket's live answers leave the count as soon as its start is out of
the window, its abandons only once its end is out. So the rate read here is never
below the exact rolling rate.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass
class _Bucket:
    start: float
    live: int = 0
    abandoned: int = 0
    live_counted: bool = True


class RollingCounts:
    def __init__(self, window: float, buckets: int = 2000) -> None:
        self.window = window
        self.size = window / buckets
        self._buckets: deque[_Bucket] = deque()
        self.live = 0
        self.abandoned = 0

    def add(self, at: float, abandoned: bool) -> None:
        """One live answer at ``at`` (non-decreasing), abandoned or served in time."""
        if not self._buckets or at >= self._buckets[-1].start + self.size:
            self._buckets.append(_Bucket(at - at % self.size))
        bucket = self._buckets[-1]
        bucket.live += 1
        self.live += 1
        if abandoned:
            bucket.abandoned += 1
            self.abandoned += 1

    def totals(self, now: float) -> tuple[int, int]:
        """(live answers, abandoned) in the window ending at ``now``."""
        cutoff = now - self.window
        for bucket in self._buckets:
            if bucket.start > cutoff:
                break
            if bucket.live_counted:
                bucket.live_counted = False
                self.live -= bucket.live
        while self._buckets and self._buckets[0].start + self.size <= cutoff:
            gone = self._buckets.popleft()
            self.abandoned -= gone.abandoned
        return self.live, self.abandoned
