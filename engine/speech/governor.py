"""The listening budget follows what the recognizers really get. Pure.

    gov = Governor(ceiling=5)
    gov.step(lag=0.8, now=12.0)    # -> 4: behind real time, one slot fewer
    gov.step(lag=0.05, now=40.0)   # -> 5: caught up for a while, one slot back

The calibration at start (or ``speech_max_legs``) says how many legs the recognizers
hear in real time on an idle machine: the ceiling. Free-form recognition runs only on CPU
that Asterisk, the engine and the IVR menus leave (``SCHED_IDLE``), so on a busy box the
recognizers fall behind. Then the budget shrinks, a slot at a time, at most every
``shrink_every`` seconds while the lag (seconds of audio waiting per worker) stays at
``behind`` or more; it grows back a slot at a time after ``calm_for`` seconds under
``calm``. Shrinking takes no leg back (``Admission``: an admitted leg is heard until it
ends; the degradation policy sheds its audio meanwhile); it stops new taps until the
recognizers catch up, so the legs admitted are the legs heard in real time. A budget the
operator set (``speech_max_legs``) is not governed: it stays as configured.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Governor:
    ceiling: int
    floor: int = 1
    behind: float = 0.5  # seconds of lag: the degradation policy's first level
    calm: float = 0.1
    shrink_every: float = 3.0
    calm_for: float = 10.0
    budget: int = 0  # 0: the ceiling
    shrunk: int = 0  # times the budget was lowered
    _changed_at: float = float("-inf")
    _calm_since: float | None = None

    def __post_init__(self) -> None:
        self.budget = self.budget or self.ceiling

    def rebase(self, ceiling: int) -> None:
        """A new ceiling (calibrated at start, or configured): the budget starts there."""
        self.ceiling = self.budget = ceiling

    def step(self, lag: float, now: float) -> int | None:
        """The recognizers' lag now; the new budget when it changes, else None."""
        if lag >= self.behind:
            self._calm_since = None
            if self.budget > self.floor and now - self._changed_at >= self.shrink_every:
                return self._set(self.budget - 1, now, shrink=True)
            return None
        if lag > self.calm:
            self._calm_since = None
            return None
        if self._calm_since is None:
            self._calm_since = now
        if self.budget < self.ceiling and now - self._calm_since >= self.calm_for:
            self._calm_since = now  # the next slot after another calm spell
            return self._set(self.budget + 1, now)
        return None

    def _set(self, budget: int, now: float, shrink: bool = False) -> int:
        self.budget, self._changed_at = budget, now
        self.shrunk += shrink
        return budget
