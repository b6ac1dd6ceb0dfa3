"""A/B measurement of the retention loop. Pure.

Every customer is in one arm of an experiment, decided by a hash of the experiment name
and the customer ID, so the same customer is in the same arm on every engine instance and
after every restart, with nothing stored. The treatment arm gets outreach and proactive
care; the control arm is recorded (what would have been done) but not contacted.
``compare`` sets retention and complaint rates of the arms side by side with Wilson score
intervals, and the difference of the arms with a normal-approximation interval.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

Arm = Literal["control", "treatment"]
ARMS: tuple[Arm, Arm] = ("control", "treatment")


def arm(customer_id: str, experiment: str = "retention", treatment_share: float = 0.5) -> Arm:
    """The customer's arm: a SHA-256 of ``experiment:customer_id`` read as a fraction."""
    digest = hashlib.sha256(f"{experiment}:{customer_id}".encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    return "treatment" if fraction < treatment_share else "control"


def contacts(customer_id: str, experiment: str = "retention", treatment_share: float = 0.5) -> bool:
    """Whether the retention loop may contact this customer (treatment arm)."""
    return arm(customer_id, experiment, treatment_share) == "treatment"


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion; (0, 1) when there is no data."""
    if n == 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def difference(
    s1: int, n1: int, s2: int, n2: int, confidence: float = 0.95
) -> tuple[float, float, float]:
    """p2 - p1 with a normal-approximation (Wald) interval."""
    if n1 == 0 or n2 == 0:
        return 0.0, -1.0, 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p1, p2 = s1 / n1, s2 / n2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    return p2 - p1, p2 - p1 - z * se, p2 - p1 + z * se


@dataclass(frozen=True)
class Outcome:
    customer_id: str
    retained: bool
    complained: bool


@dataclass(frozen=True)
class Rate:
    count: int
    n: int
    rate: float
    low: float
    high: float


@dataclass(frozen=True)
class ArmResult:
    arm: Arm
    customers: int
    retention: Rate
    complaints: Rate


def _rate(count: int, n: int, confidence: float) -> Rate:
    low, high = wilson(count, n, confidence)
    return Rate(count, n, count / n if n else 0.0, low, high)


def compare(
    outcomes: Iterable[Outcome],
    experiment: str = "retention",
    treatment_share: float = 0.5,
    confidence: float = 0.95,
) -> dict[str, object]:
    counts = {a: [0, 0, 0] for a in ARMS}  # customers, retained, complained
    for o in outcomes:
        c = counts[arm(o.customer_id, experiment, treatment_share)]
        c[0] += 1
        c[1] += o.retained
        c[2] += o.complained
    arms = [
        ArmResult(
            a,
            counts[a][0],
            _rate(counts[a][1], counts[a][0], confidence),
            _rate(counts[a][2], counts[a][0], confidence),
        )
        for a in ARMS
    ]
    (nc, rc, cc), (nt, rt, ct) = counts["control"], counts["treatment"]
    return {
        "experiment": experiment,
        "confidence": confidence,
        "arms": arms,
        "retention_lift": difference(rc, nc, rt, nt, confidence),
        "complaint_change": difference(cc, nc, ct, nt, confidence),
    }
