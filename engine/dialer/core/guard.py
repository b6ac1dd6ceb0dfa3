"""The abandon-rate guard: the 2-second rule, the rolling rate and how much pacing may risk.

* A live answer gets an agent at once (``Bridge``) or waits (``HoldFor``) at most
  ``grace`` seconds; past that ``expire`` returns an ``Abandon`` (identification
  message, hang up), counted, and the number rests 72 h unless an agent is reserved.
* ``allowance(now)`` turns the window's counts into what the pacer may risk.
  ``affordable`` is how many abandons could happen right now with the window's rate
  still within the limit. Below ``reserve`` (2) only progressive dialling (a line per
  free agent, no risk) is allowed. Above it the pacer may dial predictively, with
  three brakes:
  - the marginal dial's risk ``risk`` follows an integral controller that steers the
    rate to ``target(now)``: it falls after every abandon and creeps up with every
    call served in time;
  - that risk is scaled down to 0 as ``affordable`` falls to ``reserve`` (the cushion),
    so the guard slides towards progressive before it has to stop;
  - the whole pipeline, with every line ``stress`` times likelier to connect than
    estimated (a burst of answers, a stale estimate), may not expect more than
    ``budget_share`` of the affordable abandons.
* Without a plan the budget is only what the window has earned: the rate stays within
  the limit at every moment, and a new campaign starts progressive (65 live answers at
  3%). With ``plan(start, until)`` the budget also counts, cautiously, the live answers
  the rest of the planned dialling will bring (``window.Plan``), so a campaign starts
  predictive within minutes, and the controller's target drops after bad luck to spread
  what is left; risk stops whenever the window's own rate is over the limit. The rate is
  within the limit at the end of the plan (lines in flight can take it over on the way).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from engine.dialer.core.actions import Abandon, Bridge, DialerAction, HoldFor
from engine.dialer.core.pacing import Allowance
from engine.dialer.core.window import Plan, RollingCounts

DAY = 86400.0
QUIET_AFTER_ABANDON = 72 * 3600.0


@dataclass(frozen=True)
class GuardConfig:
    limit: float = 0.03  # abandoned / live answered
    window: float = 30 * DAY  # US: per campaign over 30 days; UK: 1 * DAY
    grace: float = 2.0  # seconds a live answer may wait for an agent
    target_share: float = 0.8  # steer the rate to 80% of the limit
    stress: float = 1.5  # the pipeline must stay affordable with lines this
    # many times likelier to connect than estimated ...
    budget_share: float = 0.5  # ... within this share of the abandons still affordable
    risk_start: float = 0.01
    risk_min: float = 0.0001
    risk_max: float = 0.25
    gain: float = 0.4
    reserve: float = 2.0  # progressive only while fewer abandons are affordable
    cushion: float = 2.0  # the risk is scaled down over this many more
    quiet: float = QUIET_AFTER_ABANDON
    message: str = "sound:dialer-identification"
    # with a plan (``AbandonGuard.plan``):
    borrow: float = 3600.0  # count the live answers of at most this many s ahead,
    ahead_share: float = 0.5  # ... this share of what the recent rate promises
    # (progressive, the fallback, brings fewer)


UK = GuardConfig(window=DAY)
US = GuardConfig()


def redial_allowed(
    last_abandoned_at: float | None,
    now: float,
    agent_reserved: bool,
    quiet: float = QUIET_AFTER_ABANDON,
) -> bool:
    """The 72 h rule: an abandoned number waits, unless an agent is reserved for it."""
    return agent_reserved or last_abandoned_at is None or now - last_abandoned_at >= quiet


class AbandonGuard:
    def __init__(self, config: GuardConfig = US) -> None:
        self.config = config
        self.counts = RollingCounts(config.window)
        self.risk = config.risk_start
        self._waiting: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._abandoned_at: dict[str, float] = {}
        self._counted: set[str] = set()  # late live answers: counted abandoned already
        self._plan: Plan | None = None

    def plan(self, start: float, until: float | None) -> None:
        """Dialling is planned from ``start`` until ``until`` (``None``: no plan).

        Without a plan the window's rate stays within the limit at every moment. With
        one, the budget also counts the live answers the next ``borrow`` seconds of the
        plan can be counted on to bring (``ahead_share`` of a lower bound of the recent
        rate): the rate is within the limit at the end of the plan, and at any moment
        over the window's live answers plus those still counted on (fewer and fewer as
        the end comes). Call it when dialling starts or resumes with a known end (the
        calling window closes, the campaign's end); ``plan(now, None)`` when it stops."""
        c = self.config
        self._plan = (
            None
            if until is None
            else Plan(start, until, min(c.borrow, c.window), share=c.ahead_share)
        )

    def expected_live(self, now: float) -> float:
        """Live answers still to come that the budget may count (0 without a plan)."""
        return self._plan.ahead(now) if self._plan else 0.0

    # ---- the 2-second rule ----------------------------------------------------
    def live_answer(
        self, call_id: str, number: str, now: float, agent_id: str | None = None, late: bool = False
    ) -> list[DialerAction]:
        """AMD found a person on ``call_id``; ``agent_id`` if one is free right now.

        ``late``: the engine learnt of the verdict only now (the event socket was down),
        so the person may have waited past the 2 s already. It is counted as abandoned at
        once (the safe side) and the number rests 72 h, but the person still gets an agent
        if one comes within the 2 s from now, else the identification message."""
        if late:
            self._abandon(call_id, number, now)
            self._counted.add(call_id)
        if agent_id is not None:
            self._served(now, call_id)
            return [Bridge(call_id, agent_id)]
        deadline = now + self.config.grace
        self._waiting[call_id] = (number, deadline)
        return [HoldFor(call_id, deadline)]

    def agent_free(self, agent_id: str, now: float) -> list[DialerAction]:
        """An agent is free: it takes the longest-waiting live answer still in time."""
        actions: list[DialerAction] = list(self.expire(now))
        if self._waiting:
            call_id, _ = self._waiting.popitem(last=False)
            self._served(now, call_id)
            actions.append(Bridge(call_id, agent_id))
        return actions

    def expire(self, now: float) -> list[Abandon]:
        """Abandon every live answer whose grace period is over."""
        out = []
        while self._waiting:
            call_id, (number, deadline) = next(iter(self._waiting.items()))
            if deadline > now:
                break
            del self._waiting[call_id]
            out.append(self._abandon(call_id, number, deadline))
        return out

    def hangup(self, call_id: str, now: float) -> list[Abandon]:
        """The customer hung up while waiting: counted as abandoned (the safe side)."""
        if call_id not in self._waiting:
            return []
        number, _ = self._waiting.pop(call_id)
        return [self._abandon(call_id, number, now)]

    def cut_off(self, call_id: str, number: str, now: float) -> Abandon:
        """The dialer hung up a ringing line just as it was answered: counted as a live
        answer abandoned (the safe side: AMD never ran), and the number rests 72 h."""
        self._waiting.pop(call_id, None)
        return self._abandon(call_id, number, now)

    def lost(self, call_id: str, number: str, now: float) -> Abandon:
        """A live answer given to an agent whose phone then failed: counted as served, it is
        an abandon after all (identification message, counted, 72 h rest)."""
        if call_id in self._counted:  # a late answer: counted abandoned already
            self._counted.discard(call_id)
            return Abandon(call_id, number, self.config.message)
        self.counts.reclassify(now)
        self._abandoned_at[number] = now
        self._steer(now, True)
        return Abandon(call_id, number, self.config.message)

    def forget(self, call_id: str) -> None:
        """The line ended: nothing more will be counted for it."""
        self._counted.discard(call_id)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def next_deadline(self) -> float | None:
        return next(iter(self._waiting.values()))[1] if self._waiting else None

    def _served(self, now: float, call_id: str) -> None:
        if call_id in self._counted:  # (kept: its agent's phone may still fail)
            return
        self.counts.add(now, abandoned=False)
        if self._plan:
            self._plan.live(now)
        self._steer(now, False)

    def _abandon(self, call_id: str, number: str, at: float) -> Abandon:
        if call_id in self._counted:
            self._counted.discard(call_id)
            return Abandon(call_id, number, self.config.message)
        self.counts.add(at, abandoned=True)
        if self._plan:
            self._plan.live(at)
        self._abandoned_at[number] = at
        self._steer(at, True)
        return Abandon(call_id, number, self.config.message)

    def target(self, now: float) -> float:
        """The rate the risk controller steers to: ``target_share`` of the limit; with a
        plan, the rate that spends what is left of that share of the budget evenly over
        the live answers the rest of the plan (within the window) can be counted on to
        bring. Bad luck early lowers it; good luck does not raise it (what is left over
        is a margin for the end, when a burst of abandons could no longer be diluted)."""
        c = self.config
        goal = c.target_share * c.limit
        rest = self._plan.ahead(now, c.window) if self._plan else 0.0
        if rest < 1.0:
            return goal
        live, abandoned = self.counts.totals(now)
        return min(goal, max(0.0, (goal * (live + rest) - abandoned) / rest))

    def _steer(self, now: float, abandoned: bool) -> None:
        c = self.config
        step = self.target(now) - (1.0 if abandoned else 0.0)
        weight = self._cushion(*self.counts.totals(now), self.expected_live(now))
        self.risk = min(c.risk_max, max(c.risk_min, self.risk * math.exp(c.gain * weight * step)))

    def affordable(self, live: int, abandoned: int, ahead: float = 0.0) -> float:
        """Abandons that could still happen now with the window's rate <= the limit,
        counting ``ahead`` live answers still to come."""
        c = self.config
        return (c.limit * (live + ahead) - abandoned) / (1.0 - c.limit)

    def _cushion(self, live: int, abandoned: int, ahead: float = 0.0) -> float:
        """1 with ``reserve + cushion`` abandons affordable, falling to 0 at ``reserve``."""
        c = self.config
        spare = self.affordable(live, abandoned, ahead) - c.reserve
        return min(1.0, max(0.0, spare / c.cushion))

    # ---- pacing -----------------------------------------------------------------
    def rate(self, now: float) -> float:
        live, abandoned = self.counts.totals(now)
        return abandoned / live if live else 0.0

    def allowance(self, now: float) -> Allowance:
        c = self.config
        live, abandoned = self.counts.totals(now)
        ahead = self.expected_live(now)
        affordable = self.affordable(live, abandoned, ahead)
        if affordable < c.reserve or abandoned > c.limit * live:  # with a plan, the
            # window's own rate must be within the limit too: only lines in flight go over
            return Allowance(
                "progressive",
                0.0,
                0.0,
                reason=f"abandon budget tight: {abandoned}/{live} live answers",
            )
        return Allowance(
            "predictive",
            self.risk * self._cushion(live, abandoned, ahead),
            c.budget_share * affordable,
            c.stress,
        )

    # ---- the 72 h rule ------------------------------------------------------------
    def redial_allowed(self, number: str, now: float, agent_reserved: bool = False) -> bool:
        if len(self._abandoned_at) > 10_000:
            self._abandoned_at = {
                n: t for n, t in self._abandoned_at.items() if now - t < self.config.quiet
            }
        return redial_allowed(
            self._abandoned_at.get(number), now, agent_reserved, self.config.quiet
        )

    def restore(self, at: float, abandoned: bool, number: str = "") -> None:
        """Replay one live answer from storage (after a restart); oldest first."""
        self.counts.add(at, abandoned)
        self._steer(at, abandoned)
        if abandoned and number:
            self._abandoned_at[number] = at
