"""The listening budget: which call legs are heard, decided before anything is tapped. Pure.

    adm = Admission(budget=4, policy=Policy())
    adm.request(Leg("c1", "caller"), "ivr", Standing(), now)   # [Admit(...)] or [Wait(...)]
    adm.release(Leg("c1", "caller"), now)   # hang-up, stop: frees the slot or leaves the
                                            # queue -> [Admit(best waiting leg), ...]
    adm.restand("c1", Standing(emotion="angry"), now)   # the call's legs re-prioritised
    adm.resize(6, now)                      # a new budget admits waiting legs at once

The budget is how many legs the recognizers can hear in real time. Every request gets a
priority from the policy (``skills/listening.yaml``): the first rule its kind and the
caller's standing (VIP tier, churn risk tier, agitation from emotion) match; lower is
heard first. IVR speech menus decide where calls go: by default (``ivr_always``) they
are admitted even beyond the budget (they still count in it). A leg that finds no slot
waits; whenever a slot frees the best waiting leg is admitted (lowest priority, first
come first served within one). An admitted leg is never taken back; one that changes
mode (a menu, then free-form on the same audio) keeps its slot under its new kind, except
a menu leg that was over the budget (admitted only because menus always are): leaving
the menu it is a caller like any other, so it gives its slot back and waits
(``Withdraw``; its tap comes down) unless the budget has room. Without that, every
caller who went through a spoken menu would be heard to the end of the call, whatever
the budget.
The adapter (``engine/speech/calls.py``) taps a leg only on ``Admit``.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple

Kind = Literal["ivr", "caller", "agent"]
KINDS: tuple[Kind, ...] = ("ivr", "caller", "agent")


class Leg(NamedTuple):
    call_id: str
    role: str  # "caller" | "agent"
    n: int = 0  # the adapter's serial: a leg heard again is another leg


@dataclass(frozen=True)
class Standing:
    """What the engine knows of the caller when a leg asks to be heard."""

    vip_tier: str | None = None  # e.g. "platinum"; None for ordinary callers
    risk_tier: str | None = None  # churn risk: "high" | "medium" | "low"
    emotion: str | None = None  # the latest emotion label ("calm" ... "angry")
    emotion_score: float | None = None  # 0..1


@dataclass(frozen=True)
class Rule:
    """A priority class: legs of ``kinds``; with conditions, only when one of them holds
    (``vip``: True for any tier or a set of tiers; ``risk``: tiers; ``agitated``)."""

    name: str
    kinds: frozenset[str]
    vip: bool | frozenset[str] | None = None
    risk: frozenset[str] | None = None
    agitated: bool | None = None

    def matches(self, kind: str, standing: Standing, agitated: bool) -> bool:
        if kind not in self.kinds:
            return False
        held: list[bool] = []
        if self.vip is not None:
            tier = standing.vip_tier
            held.append(
                (tier is not None) == self.vip if isinstance(self.vip, bool) else tier in self.vip
            )
        if self.risk is not None:
            held.append(standing.risk_tier in self.risk)
        if self.agitated is not None:
            held.append(agitated == self.agitated)
        return not held or any(held)


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("ivr menus", frozenset({"ivr"})),
    Rule(
        "valued or upset callers",
        frozenset({"caller"}),
        vip=True,
        risk=frozenset({"high"}),
        agitated=True,
    ),
    Rule("callers", frozenset({"caller"})),
    Rule("agents", frozenset({"agent"})),
)


@dataclass(frozen=True)
class Policy:
    rules: tuple[Rule, ...] = DEFAULT_RULES
    ivr_always: bool = True  # IVR menus are heard even beyond the budget
    agitated_labels: frozenset[str] = frozenset({"agitated", "angry"})
    agitated_score: float | None = None  # or: a score at least this high

    def agitated(self, standing: Standing) -> bool:
        if standing.emotion is not None and standing.emotion in self.agitated_labels:
            return True
        score = standing.emotion_score
        return (
            self.agitated_score is not None and score is not None and (score >= self.agitated_score)
        )

    def rank(self, kind: str, standing: Standing) -> tuple[int, str]:
        """(priority, rule name): the first rule that matches; after all rules if none."""
        agitated = self.agitated(standing)
        for n, rule in enumerate(self.rules):
            if rule.matches(kind, standing, agitated):
                return n, rule.name
        return len(self.rules), "others"

    def always(self, kind: str) -> bool:
        return self.ivr_always and kind == "ivr"


@dataclass(frozen=True)
class Entry:
    leg: Leg
    kind: str
    standing: Standing
    priority: int
    rule: str
    since: float  # when it asked (waiting) or was admitted
    seq: int  # arrival order: first come first served within a priority


@dataclass(frozen=True)
class Admit:
    """Tap this leg now."""

    leg: Leg
    kind: str
    rule: str
    waited: float  # seconds it waited (0: admitted on request)


@dataclass(frozen=True)
class Wait:
    """No slot: the leg waits (no tap) until ``Admit``."""

    leg: Leg
    kind: str
    rule: str
    ahead: int  # legs that will be admitted before it


@dataclass(frozen=True)
class Withdraw:
    """Untap this leg: it was heard beyond the budget as a menu and has left it; it
    waits as ``kind`` (a ``Wait`` follows)."""

    leg: Leg
    kind: str
    rule: str


Action = Admit | Wait | Withdraw


@dataclass
class Admission:
    budget: int
    policy: Policy = field(default_factory=Policy)
    admitted: dict[Leg, Entry] = field(default_factory=dict)
    waiting: dict[Leg, Entry] = field(default_factory=dict)  # (change it through _wait)
    admitted_total: int = 0
    waited_total: int = 0
    _seq: itertools.count[int] = field(default_factory=itertools.count)
    # the waiting legs in the order they are heard, (priority, seq, leg), and how many of
    # them are menus: a request costs O(log n) with hundreds waiting, not a scan of them
    _queue: list[tuple[int, int, Leg]] = field(default_factory=list)
    _menus_waiting: int = 0

    def request(self, leg: Leg, kind: str, standing: Standing, now: float) -> list[Action]:
        """``leg`` wants to be heard as ``kind``. Asked again for a leg already admitted
        or waiting: its kind and standing change, its slot or place in time stay."""
        priority, rule = self.policy.rank(kind, standing)
        known = self.admitted.get(leg) or self.waiting.get(leg)
        if known is not None:
            entry = replace(known, kind=kind, standing=standing, priority=priority, rule=rule)
            if (
                leg in self.admitted
                and self.policy.always(known.kind)
                and not self.policy.always(kind)
                and len(self.admitted) > self.budget
            ):  # out of the menu, over the budget: back in the queue
                del self.admitted[leg]
                self._wait(replace(entry, since=now))
                self.waited_total += 1
                ahead = self._ahead(entry)
                return [Withdraw(leg, kind, rule), *self._fill(now), Wait(leg, kind, rule, ahead)]
            if leg in self.admitted:
                self.admitted[leg] = entry
            else:
                self._unwait(leg)
                self._wait(entry)
            return list(self._fill(now))
        self._wait(Entry(leg, kind, standing, priority, rule, now, next(self._seq)))
        out: list[Action] = list(self._fill(now))
        if leg in self.waiting:
            self.waited_total += 1
            out.append(Wait(leg, kind, rule, self._ahead(self.waiting[leg])))
        return out

    def release(self, leg: Leg, now: float) -> list[Action]:
        """``leg`` is no longer to be heard (stopped, hung up, failed): its slot goes to
        the best waiting leg; a waiting leg just leaves the queue."""
        self.admitted.pop(leg, None)
        self._unwait(leg)
        return list(self._fill(now))

    def restand(self, call_id: str, standing: Standing, now: float) -> list[Action]:
        """The call's caller is seen anew (e.g. agitated): its legs' priorities follow."""
        for leg, e in list(self.admitted.items()):
            if leg.call_id == call_id:
                priority, rule = self.policy.rank(e.kind, standing)
                self.admitted[leg] = replace(e, standing=standing, priority=priority, rule=rule)
        for leg, e in list(self.waiting.items()):
            if leg.call_id == call_id:
                priority, rule = self.policy.rank(e.kind, standing)
                self._unwait(leg)
                self._wait(replace(e, standing=standing, priority=priority, rule=rule))
        return list(self._fill(now))

    def resize(self, budget: int, now: float) -> list[Action]:
        self.budget = max(0, budget)
        return list(self._fill(now))

    def use(self, policy: Policy, now: float) -> list[Action]:
        """A new policy (reload): every leg ranked again; may admit (``ivr_always``)."""
        self.policy = policy
        for leg, e in list(self.admitted.items()):
            priority, rule = policy.rank(e.kind, e.standing)
            self.admitted[leg] = replace(e, priority=priority, rule=rule)
        for leg, e in list(self.waiting.items()):
            priority, rule = policy.rank(e.kind, e.standing)
            self._unwait(leg)
            self._wait(replace(e, priority=priority, rule=rule))
        return list(self._fill(now))

    def _fill(self, now: float) -> list[Admit]:
        out: list[Admit] = []
        menus_first = self.policy.ivr_always and self._menus_waiting > 0
        if not self._queue or (len(self.admitted) >= self.budget and not menus_first):
            return out  # nothing can be admitted
        for _, _, leg in list(self._queue):
            entry = self.waiting[leg]
            if self.policy.always(entry.kind) or len(self.admitted) < self.budget:
                self._unwait(leg)
                self.admitted[leg] = replace(entry, since=now)
                self.admitted_total += 1
                out.append(Admit(leg, entry.kind, entry.rule, now - entry.since))
            elif not (self.policy.ivr_always and self._menus_waiting):
                break  # full, and no menu further on
        return out

    def _wait(self, entry: Entry) -> None:
        self.waiting[entry.leg] = entry
        bisect.insort(self._queue, (entry.priority, entry.seq, entry.leg))
        self._menus_waiting += entry.kind == "ivr"

    def _unwait(self, leg: Leg) -> Entry | None:
        entry = self.waiting.pop(leg, None)
        if entry is not None:
            del self._queue[self._ahead(entry)]
            self._menus_waiting -= entry.kind == "ivr"
        return entry

    def _ahead(self, entry: Entry) -> int:
        """How many waiting legs are heard before ``entry`` (its index in the queue)."""
        return bisect.bisect_left(self._queue, (entry.priority, entry.seq))

    def snapshot(self, now: float) -> dict[str, Any]:
        """For GET /status: the budget, admitted legs by kind, the waiting queue in order."""
        by_kind: dict[str, int] = {kind: 0 for kind in KINDS}
        for e in self.admitted.values():
            by_kind[e.kind] = by_kind.get(e.kind, 0) + 1
        return {
            "budget": self.budget,
            "admitted": len(self.admitted),
            "admitted_by_kind": by_kind,
            "admitted_total": self.admitted_total,
            "waited_total": self.waited_total,
            "waiting": [
                {
                    "call_id": e.leg.call_id,
                    "role": e.leg.role,
                    "kind": e.kind,
                    "priority": e.priority,
                    "rule": e.rule,
                    "waiting_since": e.since,
                    "waited": round(now - e.since, 3),
                }
                for e in (self.waiting[leg] for _, _, leg in self._queue)
            ],
        }
