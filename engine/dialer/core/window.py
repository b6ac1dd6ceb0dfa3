"""Live answers and abandons over a rolling window, in bounded memory, and the live
answers a planned stretch of dialling can still count on.

``RollingCounts``: events are counted in ``buckets`` time buckets per window.
Bucketing errs on the safe side: a bucket's live answers leave the count as soon as
its start is out of the window, its abandons only once its end is out. So the rate
read here is never below the exact rolling rate.

``Plan``: dialling planned from ``start`` until ``until``. ``ahead(now)`` is a cautious
count of the live answers the next ``horizon`` seconds of the plan will bring:
``share`` of the recent live-answer rate's lower bound (count minus two standard
deviations, over at least ``settle`` seconds) times the planned time left.
"""

from __future__ import annotations

import math
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

    def reclassify(self, at: float) -> None:
        """A live answer already counted as served turned out abandoned (its agent's phone
        failed): one more abandon at ``at``, no new live answer. The abandon leaves the
        window later than the answer did: the safe side."""
        if not self._buckets or at >= self._buckets[-1].start + self.size:
            self._buckets.append(_Bucket(at - at % self.size))
        self._buckets[-1].abandoned += 1
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


class Plan:
    def __init__(
        self, start: float, until: float, horizon: float, settle: float = 600.0, share: float = 0.5
    ) -> None:
        self.start, self.until, self.horizon, self.share = start, until, horizon, share
        self.settle = min(settle, horizon)
        self._recent: deque[float] = deque()  # live answers of the last ``horizon`` s

    def live(self, at: float) -> None:
        self._recent.append(at)

    def rate(self, now: float) -> float:
        """Live answers per second the plan can count on: the lower bound of the last
        ``horizon`` s, over at least ``settle`` s (the first wave of a cold start, every
        agent free at once, does not make it look faster)."""
        since = max(self.start, now - self.horizon)
        while self._recent and self._recent[0] < since:
            self._recent.popleft()
        n = len(self._recent)
        return self.share * max(0.0, n - 2.0 * math.sqrt(n)) / max(now - since, self.settle)

    def ahead(self, now: float, horizon: float | None = None) -> float:
        """Live answers the plan can count on over the next ``horizon`` seconds (the
        plan's own by default; at most until the plan ends)."""
        left = min(self.horizon if horizon is None else horizon, self.until - now)
        return self.rate(now) * left if left > 0 else 0.0
