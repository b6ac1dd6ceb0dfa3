"""The predictive pacer's model of the next half minute, as plain numpy.

For every horizon ``h`` (0, 1, ... seconds from now) it adds up, as independent
Bernoulli trials, the live connects the lines already in flight will bring by
``h`` and the agents that will be free by ``h + grace`` (free now, in wrap-up, or
in a call that the talk-time estimate says is likely over). ``D(h) = connects -
agents`` then has a mean and a variance; a normal approximation gives:

* the risk of the k-th new dial: the chance that, when it connects (at a time
  drawn from the time-to-connect estimate), the other connects have already taken
  every agent that will be free within the grace period;
* the pipeline's expected abandons: ``max_h E[D(h)+]``, also under stress (every
  line more likely to connect than estimated: a burst of answers, a stale estimate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from engine.dialer.core.estimates import DialEstimates, TalkEstimates, norm_cdf


@dataclass(frozen=True)
class Pipeline:
    horizons: np.ndarray
    lines: np.ndarray  # E[live connects by h] from the lines in flight
    agents: np.ndarray  # E[agents free by h + grace] - live answers already waiting
    var: np.ndarray
    connect: np.ndarray  # P(a new dial is a live connect by h)
    density: np.ndarray  # P(a new dial is a live connect between h - 1 and h)
    ages: np.ndarray | None = None  # the age bins of ringing lines
    by_age: np.ndarray | None = None  # P(a line ringing at that age is a live connect by h)


def pipeline(
    now: float,
    free_agents: int,
    talking: np.ndarray,
    wrapping: np.ndarray,
    ringing: np.ndarray,
    detecting: np.ndarray,
    waiting: int,
    dials: DialEstimates,
    talk: TalkEstimates,
    wrapup: float,
    grace: float,
) -> Pipeline:
    h = np.arange(0.0, dials.edges[-1] + dials.amd_delay + 1.0)
    ages = dials.edges[:-1]  # lines of (about) the same age behave alike
    count = np.bincount(
        np.minimum(np.searchsorted(ages, ringing, "right") - 1, len(ages) - 1), minlength=len(ages)
    ).astype(float)
    ring = dials.live_by(now, ages, h, ringing)
    share = dials.live_share  # answered lines in AMD: a person with this chance
    det = share * np.searchsorted(np.sort(dials.amd_delay - detecting), h, "right")
    wrap = np.searchsorted(np.sort(wrapping), h + grace, "right")
    busy = talk.free_by(now, talking, h + grace, wrapup)
    agents = free_agents + wrap + busy.sum(0) - waiting
    var = count @ (ring * (1 - ring)) + det * (1 - share) + (busy * (1 - busy)).sum(0)
    return Pipeline(
        h, count @ ring + det, agents, var, ring[0], np.diff(ring[0], prepend=0.0), ages, ring
    )


def marginal_risk(p: Pipeline, k_max: int, first: int = 1) -> np.ndarray:
    """P(abandoned | live) of the ``first``-th ... ``k_max``-th new dial placed now."""
    others = np.arange(first - 1, k_max, dtype=float)[:, None]
    density = p.density
    total = density.sum()
    if total <= 0:
        return np.zeros(len(others))
    mean = p.lines - p.agents + others * p.connect
    var = p.var + others * (p.connect * (1 - p.connect)) + 1e-12
    taken = norm_cdf((mean + 0.5) / np.sqrt(var))  # P(D >= 0): no agent left
    return cast(np.ndarray, taken @ density / total)


def line_risk(p: Pipeline, ages: np.ndarray) -> np.ndarray:
    """P(abandoned | live) of each line already ringing at ``ages`` (same model as a new
    dial's: the other connects have taken every agent free within the grace period)."""
    assert p.ages is not None and p.by_age is not None
    bins = np.minimum(
        np.searchsorted(p.ages, np.asarray(ages, dtype=float), "right") - 1, len(p.ages) - 1
    )
    own = p.by_age[bins]  # lines x horizons
    density = np.diff(own, axis=1, prepend=0.0)
    total = density.sum(axis=1)
    mean = p.lines[None, :] - own - p.agents[None, :]
    var = np.maximum(p.var[None, :] - own * (1 - own), 0.0) + 1e-12
    taken = norm_cdf((mean + 0.5) / np.sqrt(var))
    return np.where(total > 0, (taken * density).sum(axis=1) / np.maximum(total, 1e-300), 0.0)


def dials_within(p: Pipeline, risk: float, k_max: int) -> int:
    """How many new dials keep the last one's risk within ``risk`` (at most ``k_max``)."""
    n, block = 0, 2
    while n < k_max:  # the risk grows with every dial: scan in blocks
        top = min(k_max, n + block)
        fits = marginal_risk(p, top, first=n + 1) <= risk
        if not fits.all():
            return n + int(np.argmin(fits))
        n, block = top, block * 2
    return max(n, 0)


def expected_abandons(p: Pipeline, n: np.ndarray, stress: float = 1.0) -> np.ndarray:
    """Expected abandons of the lines in flight plus ``n`` new dials, for each n, when
    every line is ``stress`` times as likely to connect as the estimates say."""
    n = np.asarray(n, dtype=float)[:, None]
    mean = stress * (p.lines + n * p.connect) - p.agents
    sd = np.sqrt(p.var[None, :] + n * p.connect * (1 - p.connect) + 1e-12)
    z = mean / sd
    excess = mean * norm_cdf(z) + sd * np.exp(-z * z / 2) / np.sqrt(2 * np.pi)
    return cast(np.ndarray, excess.max(axis=1))
