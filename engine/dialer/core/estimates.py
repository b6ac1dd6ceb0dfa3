"""Online estimates the predictive pacer reads: how dials end and how long agents talk.

Both are durations that end (a dial stops ringing: live, machine, busy or no
answer; a call ends) and are estimated the Kaplan-Meier way: at query time the
dials still ringing and the calls still in progress count as "at risk", so the
short durations that end first never make the estimate optimistic (this matters
at the start of a campaign, and after a burst of dials). Each observation weighs
by when it *started*, with a half-life in seconds, so the estimates follow a
campaign that drifts; a prior, placed at time 0, fades the same way.

Pure: ``record_dial(now, ...)`` / ``record_talk(now, ...)`` feed outcomes; the
queries take ``now`` and the ages of what is still in progress.
"""

from __future__ import annotations

import math
from typing import Literal, cast

import numpy as np

Outcome = Literal["live", "machine", "busy", "no-answer"]


def norm_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz-Stegun 7.1.26, error < 2e-7), vectorised."""
    z = np.abs(np.asarray(x, dtype=float)) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return cast(np.ndarray, 0.5 * (1.0 + np.sign(x) * (1.0 - poly * np.exp(-z * z))))


def lognormal_mass(edges: np.ndarray, median: float, sigma: float) -> np.ndarray:
    return np.diff(norm_cdf((np.log(np.maximum(edges, 1e-9)) - np.log(median)) / sigma))


def _arr(xs: np.ndarray | None) -> np.ndarray:
    return np.empty(0) if xs is None else np.asarray(xs, dtype=float)


class Durations:
    """Weighted ends per bin, by kind, with exponential forgetting by start time."""

    def __init__(self, edges: np.ndarray, half_life: float, prior: dict[str, np.ndarray]) -> None:
        self.edges = np.asarray(edges, dtype=float)
        self.rate = math.log(2) / half_life
        self.origin: float | None = None  # set by the first observation or query
        self.top = 0.0  # log-weight of the newest observation
        self.ends = np.sum(list(prior.values()), axis=0).astype(float)
        self.kinds = {k: np.asarray(v, dtype=float).copy() for k, v in prior.items()}
        self.censored = np.zeros(len(self.ends))  # stopped from outside (hung up) here
        self._at_risk: np.ndarray | None = None

    def weight(self, started: np.ndarray | float) -> np.ndarray:
        """Observations weigh by start time; nothing weighs more than the newest one
        (so a long quiet spell does not wipe what was learnt)."""
        if self.origin is None:
            self.origin = float(np.max(started))
        log_w = (np.asarray(started, dtype=float) - self.origin) * self.rate
        return np.exp(np.minimum(log_w, self.top))

    def add(self, started: float, duration: float, kind: str | None) -> None:
        """One observation; ``kind`` None: censored (it was still going when stopped)."""
        if self.origin is None:
            self.origin = started
        self.top = max(self.top, (started - self.origin) * self.rate)
        if self.top > 30:  # rebase before overflow
            scale = math.exp(-self.top)
            self.ends *= scale
            self.censored *= scale
            for v in self.kinds.values():
                v *= scale
            self.origin += self.top / self.rate
            self.top = 0.0
        i = min(max(int(np.searchsorted(self.edges, duration, "right")) - 1, 0), len(self.ends) - 1)
        w = float(self.weight(started))
        if kind is None:  # at risk of every end before ``duration``, not of those after
            self.censored[max(int(np.searchsorted(self.edges, duration, "left")) - 1, 0)] += w
            self._at_risk = None
            return
        self.ends[i] += w
        if kind in self.kinds:
            self.kinds[kind][i] += w
        self._at_risk = None

    def curves(
        self, now: float, ongoing: np.ndarray, kind: str | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(P(still going at each edge), P(ended as ``kind`` before each edge))."""
        if self._at_risk is None:
            self._at_risk = (self.ends + self.censored)[::-1].cumsum()[::-1]
        at_risk = self._at_risk
        if len(ongoing):
            ongoing = np.maximum(np.asarray(ongoing, dtype=float), 0.0)
            idx = np.searchsorted(self.edges, ongoing, "right") - 1
            w = np.bincount(idx, self.weight(now - ongoing), minlength=len(self.edges))
            at_risk = at_risk + w[::-1].cumsum()[:0:-1]
        hazard = np.minimum(self.ends / np.maximum(at_risk, 1e-300), 1.0)
        going = np.empty(len(self.edges))
        going[0] = 1.0
        np.cumprod(1.0 - hazard, out=going[1:])
        if kind is None:
            return going, 1.0 - going
        ended_as = np.empty(len(self.edges))
        ended_as[0] = 0.0
        np.cumsum(
            going[:-1] * hazard * (self.kinds[kind] / np.maximum(self.ends, 1e-300)),
            out=ended_as[1:],
        )
        return going, ended_as


class DialEstimates:
    """How dials end: at which ring age, and whether a person answered."""

    def __init__(
        self,
        ring_timeout: float = 25.0,
        prior_live: float = 0.2,
        prior_answered: float = 0.3,
        prior_weight: float = 20.0,
        half_life: float = 600.0,
        amd_delay: float = 1.5,
    ) -> None:
        edges = np.arange(0.0, ring_timeout + 5.5, 0.5)
        live = lognormal_mass(edges, 10.0, 0.5) * prior_live
        machine = lognormal_mass(edges, 15.0, 0.3) * (prior_answered - prior_live)
        other = np.zeros_like(live)
        rest = 1.0 - prior_answered
        other[int(3.0 / 0.5)] += 0.1 * rest  # busy
        other[min(int(ring_timeout / 0.5), len(other) - 1)] += 0.9 * rest  # no answer
        self.dur = Durations(
            edges,
            half_life,
            {
                "live": live * prior_weight,
                "machine": machine * prior_weight,
                "other": other * prior_weight,
            },
        )
        self.edges = edges
        self.amd_delay = amd_delay
        self.seen = 0  # dials recorded

    def record_dial(
        self, now: float, ring_seconds: float, outcome: Outcome, amd_seconds: float | None = None
    ) -> None:
        """A dial stopped ringing at ``now`` after ``ring_seconds`` with ``outcome``."""
        kind = outcome if outcome in ("live", "machine") else "other"
        self.seen += 1
        self.dur.add(now - ring_seconds, ring_seconds, kind)
        if outcome == "live" and amd_seconds is not None:
            self.amd_delay += 0.05 * (amd_seconds - self.amd_delay)

    def record_cancel(self, now: float, ring_seconds: float) -> None:
        """A line hung up by the dialer while still ringing: censored, not an outcome."""
        self.dur.add(now - ring_seconds, ring_seconds, None)

    @property
    def live_share(self) -> float:
        """Share of answered dials that AMD finds to be a person."""
        live, machine = self.dur.kinds["live"].sum(), self.dur.kinds["machine"].sum()
        return float(live / max(live + machine, 1e-300))

    def live_rate(self, now: float, ringing: np.ndarray | None = None) -> float:
        """Live (human) answers per dial."""
        return float(self.dur.curves(now, _arr(ringing), "live")[1][-1])

    def live_by(
        self, now: float, ages: np.ndarray, horizons: np.ndarray, ringing: np.ndarray | None = None
    ) -> np.ndarray:
        """P(a line still ringing at age ``a`` is a live connect within ``h`` s): a × h.

        ``ringing``: ages of every line still ringing (default: ``ages``)."""
        ages = np.asarray(ages, dtype=float)
        going, live = self.dur.curves(now, ages if ringing is None else ringing, "live")
        a = ages[:, None]
        reach = np.interp(a + horizons[None, :] - self.amd_delay, self.edges, live)
        num = np.maximum(reach - np.interp(a, self.edges, live), 0.0)
        going_at = np.maximum(np.interp(a, self.edges, going), 1e-12)
        return cast(np.ndarray, np.minimum(num / going_at, 1.0))


class TalkEstimates:
    """How long agents talk, on log-spaced bins up to three hours."""

    def __init__(
        self, prior_mean: float = 180.0, prior_weight: float = 10.0, half_life: float = 3600.0
    ) -> None:
        edges = np.concatenate(([0.0], np.geomspace(1.0, 3 * 3600.0, 90)))
        sigma = 0.8
        prior = lognormal_mass(edges, prior_mean * np.exp(-(sigma**2) / 2), sigma)
        self.dur = Durations(edges, half_life, {"talk": prior * prior_weight / prior.sum()})
        self.edges = edges
        self.seen = 0  # calls recorded

    def record_talk(self, now: float, seconds: float) -> None:
        self.seen += 1
        self.dur.add(now - seconds, seconds, "talk")

    def mean(self, now: float, talking: np.ndarray | None = None) -> float:
        going, _ = self.dur.curves(now, _arr(talking))
        return float(np.sum(np.diff(self.edges) * (going[:-1] + going[1:]) / 2))

    def free_by(
        self, now: float, elapsed: np.ndarray, horizons: np.ndarray, wrapup: float
    ) -> np.ndarray:
        """P(an agent ``e`` s into a call is free again within ``h`` s): e × h."""
        e = np.floor(np.asarray(elapsed, dtype=float)).astype(int)
        going, _ = self.dur.curves(now, e)
        shift = np.floor(np.maximum(horizons - wrapup, 0.0)).astype(int)
        top = (e.max() if len(e) else 0) + int(shift.max()) + 1
        still = np.interp(np.arange(top + 1.0), self.edges, going)  # on a 1 s grid
        now_s = still[e][:, None]
        later = still[e[:, None] + shift[None, :]]
        return cast(np.ndarray, np.maximum(now_s - later, 0.0) / np.maximum(now_s, 1e-12))
