"""A seeded discrete-event simulation of one dialling team, for any pacer or the oracle.

Pure: no clock, no I/O. Time is simulated seconds from 0 to ``hours * 3600``. Dials
take contacts from a ``ContactStream`` in order, so every algorithm meets the same
people. A live answer (after AMD) takes the longest-idle agent or waits in the real
``AbandonGuard`` for at most 2 s; machines never take an agent. Each agent talks,
wraps up for a fixed time, then is free again. Pacers decide every ``tick`` seconds
and whenever an agent becomes free. The oracle knows every contact's outcome and
talk time: it dials, for each agent, the next live contact exactly early enough for
it to connect when that agent is free (an upper bound: no abandon, almost no idle;
for steady traffic without log-outs, as in the grid).
``guarded=False`` lets a pacer ignore the guard's allowance (the 2 s rule still counts)
and risk ``unguarded`` instead (a fixed marginal risk: the efficiency frontier).
``known_ends`` tells the pacer when every call will end (busy agents as in wrap-up).
``known_answers`` skips the contacts no person will answer when the pacer dials (as the
oracle does, but the pacer still does not know when they answer or how long they talk).
``Scenario.planned`` gives the guard a plan to the end of the run; ``warmup`` adds a
``steady`` result from then on. Idle agent-seconds are filed under what held the pacer
back at the time (``limit_cause``), so a result says where occupancy went.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace
from typing import Any

from engine.dialer.core.actions import Bridge
from engine.dialer.core.guard import AbandonGuard, GuardConfig
from engine.dialer.core.pacing import Allowance, Pacer, Predictive, Snapshot
from engine.dialer.simulator.agents import Tally, Team
from engine.dialer.simulator.traffic import ContactStream, Outcome, Traffic

RING_END, AMD_END, DEADLINE, TALK_END, WRAP_END, TICK, LOGOUT, ORACLE_DIAL = range(8)


@dataclass(frozen=True)
class Scenario:
    agents: int
    traffic: Traffic
    hours: float = 1.0
    seed: int = 1
    tick: float = 1.0
    logouts: tuple[tuple[float, int], ...] = ()  # (at s, agents leaving)
    bursts: tuple[tuple[float, float, float], ...] = ()  # (from s, to s, answer rate)
    warmup: float = 0.0  # s; > 0: also report from here on (steady state)
    planned: bool = False  # the guard knows dialling is planned until the end

    def answer_rate(self, t: float) -> float:
        for start, end, rate in self.bursts:
            if start <= t < end:
                return rate
        return self.traffic.answer_rate


@dataclass(frozen=True)
class Result:
    algorithm: str
    occupancy: float  # talk time / logged-in time
    abandon_rate: float  # abandoned / live answers
    connects_per_agent_hour: float
    idle_between: float  # mean idle seconds before each connect
    dials: int
    live: int
    abandoned: int
    wrap_share: float = 0.0  # wrap-up time / logged-in time
    idle_by_cause: dict[str, float] = field(default_factory=dict)  # idle / logged-in time
    cancelled: int = 0  # lines the pacer hung up after >= 15 s of ringing
    cancelled_live: int = 0  # ... that a person would have answered later
    steady: Result | None = None  # the same from the end of the warm-up on

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "steady"}
        if self.steady is not None:
            out.update(
                {f"steady_{k}": v for k, v in self.steady.as_dict().items() if k != "algorithm"}
            )
        return out


class Simulation:
    def __init__(
        self,
        scenario: Scenario,
        pacer: Pacer | None,
        guard: GuardConfig | None = None,
        guarded: bool = True,
        known_ends: bool = False,
        unguarded: Allowance | None = None,
        known_answers: bool = False,
    ) -> None:
        self.s, self.pacer, self.guarded = scenario, pacer, guarded  # pacer None: the oracle
        self.known_ends = known_ends  # the pacer is told when every call will end
        self.known_answers = known_answers  # it dials only the contacts a person will answer
        self.unguarded = unguarded or Allowance()  # what an unguarded pacer may risk
        self.talk_ends: dict[int, float] = {}
        self.end = scenario.hours * 3600.0
        self.contacts = ContactStream(scenario.traffic, scenario.seed)
        self.guard = AbandonGuard(guard or GuardConfig())
        if scenario.planned:
            self.guard.plan(0.0, self.end)
        self.team = Team(scenario.agents, self.end, warmup=scenario.warmup)
        self.counted = [[0] * 5 for _ in self.team.tallies]  # live, abandoned, dials,
        # lines hung up after ringing, and how many of those a person would have answered
        self.cause = "oracle" if pacer is None else "start"  # what idle time is filed under
        self.events: list[tuple[float, int, int, int]] = []
        self.seq = self.next_contact = self.dials = 0
        self.decided = -1.0
        self.ringing: dict[int, float] = {}
        self.detecting: dict[int, float] = {}
        self.lines: dict[int, tuple[Outcome, float, float]] = {}  # outcome, ring, amd
        self.live = self.abandoned = 0

    def push(self, at: float, kind: int, ref: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.events, (at, self.seq, kind, ref))

    def run(self) -> Result:
        for at, k in self.s.logouts:
            self.push(at, LOGOUT, k)
        if self.pacer is None:
            for _ in range(self.s.agents):
                self.oracle_plan(0.0, 0.0)
        else:
            self.push(0.0, TICK)
        handlers = (
            self.ring_end,
            self.amd_end,
            self.deadline,
            self.talk_end,
            self.wrap_end,
            self.tick,
            lambda now, k: self.team.log_out(k, now),
            self.dial,
        )
        while self.events and self.events[0][0] < self.end:
            now, _, kind, ref = heapq.heappop(self.events)
            self.team.account(now, self.cause)
            handlers[kind](now, ref)
        self.team.account(self.end, self.cause)
        return self.result()

    # ---- lines ------------------------------------------------------------------
    def dial(self, now: float, index: int | None = None) -> None:
        if index is None:
            index, self.next_contact = self.next_contact, self.next_contact + 1
            while (
                self.known_answers
                and self.contacts[index].outcome(
                    self.s.answer_rate(now), self.s.traffic.ring_timeout
                )[0]
                != "live"
            ):
                index, self.next_contact = self.next_contact, self.next_contact + 1
        self.lines[index] = self.contacts[index].outcome(
            self.s.answer_rate(now), self.s.traffic.ring_timeout
        )
        self.dials += 1
        self.count(now, 2)
        self.ringing[index] = now
        self.push(now + self.lines[index][1], RING_END, index)

    def ring_end(self, now: float, line: int) -> None:
        if self.ringing.pop(line, None) is None:
            return  # hung up by the pacer
        outcome, ring, amd = self.lines[line]
        if isinstance(self.pacer, Predictive):
            self.pacer.record_dial(now, ring, outcome, amd if outcome == "live" else None)
        if outcome in ("live", "machine"):
            self.detecting[line] = now
            self.push(now + amd, AMD_END, line)
        else:
            del self.lines[line]

    def amd_end(self, now: float, line: int) -> None:
        del self.detecting[line]
        if self.lines.pop(line)[0] == "machine":
            return  # a machine: message or retry by policy
        self.live += 1
        self.count(now, 0)
        agent = self.team.take_idle(now)
        actions = self.guard.live_answer(
            str(line), str(line), now, None if agent is None else str(agent)
        )
        if agent is None:
            self.push(actions[0].deadline, DEADLINE, line)  # type: ignore[union-attr]
        else:
            self.connect(now, agent, line)

    def deadline(self, now: float, line: int) -> None:
        self.abandons(now)

    def abandons(self, now: float) -> None:
        for _ in self.guard.expire(now):
            self.abandoned += 1
            self.count(now, 1)

    def count(self, now: float, which: int) -> None:
        for tally, counted in zip(self.team.tallies, self.counted, strict=True):
            if now >= tally.start:
                counted[which] += 1

    def connect(self, now: float, agent: int, line: int) -> None:
        talk = self.contacts[line].talk
        self.team.start_talk(agent, now, talk)
        self.talk_ends[agent] = now + talk
        self.push(now + talk, TALK_END, agent)
        if self.pacer is None:
            self.oracle_plan(now, now + talk + self.s.traffic.wrapup)

    # ---- agents ------------------------------------------------------------------
    def talk_end(self, now: float, agent: int) -> None:
        until = now + self.s.traffic.wrapup
        talk = self.team.end_talk(agent, now, until)
        if isinstance(self.pacer, Predictive):
            self.pacer.record_talk(now, talk)
        self.push(until, WRAP_END, agent)

    def wrap_end(self, now: float, agent: int) -> None:
        back = self.team.end_wrap(agent, now)
        self.abandons(now)
        if not back and not (self.guard.waiting and self.team.take_standby(agent, now)):
            return  # logging out: on standby for live answers
        for action in self.guard.agent_free(str(agent), now):
            if isinstance(action, Bridge):
                if back:
                    self.team.take(agent)
                self.connect(now, agent, int(action.call_id))
        if back:
            self.decide(now)

    # ---- pacing --------------------------------------------------------------------
    def tick(self, now: float, _: int = 0) -> None:
        if now - self.decided >= self.s.tick / 2:  # none since an agent came free
            self.decide(now)
        self.push(now + self.s.tick, TICK)

    def decide(self, now: float) -> None:
        if self.pacer is None:
            return
        self.decided = now
        talking, wrapping = self.team.busy(now)
        if self.known_ends:  # as if every call were already in wrap-up
            wrapping += [
                self.talk_ends[a] + self.s.traffic.wrapup - now
                for a in self.team.talking
                if a not in self.team.leaving
            ]
            talking = []
        allowance = self.guard.allowance(now) if self.guarded else self.unguarded
        snap = self.snapshot(now, talking, wrapping)
        cut = (
            self.pacer.cancels(snap, allowance)
            if isinstance(self.pacer, Predictive) and self.ringing
            else []
        )
        if cut:
            lines = list(self.ringing)
            for i in cut:
                started = self.ringing.pop(lines[i])
                self.count(now, 3)
                if self.lines.pop(lines[i])[0] == "live":
                    self.count(now, 4)  # a person would have answered later
                assert isinstance(self.pacer, Predictive)  # only it cancels
                self.pacer.record_cancel(now, now - started)
            snap = self.snapshot(now, talking, wrapping)
        for _ in range(self.pacer.dials(snap, allowance)):
            self.dial(now)
        self.cause = limit_cause(self.pacer, allowance)
        if self.guarded and allowance.mode == "predictive" and allowance.risk < self.guard.risk:
            self.cause = "guard cushion"

    def snapshot(self, now: float, talking: list[float], wrapping: list[float]) -> Snapshot:
        return Snapshot(
            now,
            self.team.idle_count,
            talking,
            wrapping,
            [now - t for t in self.ringing.values()],
            [now - t for t in self.detecting.values()],
            self.guard.waiting,
        )

    def oracle_plan(self, now: float, free_at: float) -> None:
        """Skip the contacts that will not answer; time the next live one for ``free_at``."""
        rate, timeout = self.s.traffic.answer_rate, self.s.traffic.ring_timeout
        while True:
            index, self.next_contact = self.next_contact, self.next_contact + 1
            outcome, ring, amd = self.contacts[index].outcome(rate, timeout)
            if outcome == "live":
                self.push(max(now, free_at - ring - amd), ORACLE_DIAL, index)
                return

    def result(self) -> Result:
        name = "oracle" if self.pacer is None else self.pacer.name
        out = [
            self.tally_result(name, t, c)
            for t, c in zip(self.team.tallies, self.counted, strict=True)
        ]
        return out[0] if len(out) == 1 else replace(out[0], steady=out[1])

    def tally_result(self, name: str, t: Tally, counted: list[int]) -> Result:
        logged_in = max(self.team.logged_in_seconds(t.start), 1e-9)
        live, abandoned, dials, cancelled, cancelled_live = counted
        return Result(
            name,
            t.talk / logged_in,
            abandoned / live if live else 0.0,
            t.connects / (logged_in / 3600.0),
            t.idle_before / t.connects if t.connects else 0.0,
            dials,
            live,
            abandoned,
            t.wrap / logged_in,
            {k: v / logged_in for k, v in sorted(t.idle.items()) if v},
            cancelled=cancelled,
            cancelled_live=cancelled_live,
        )


def limit_cause(pacer: Pacer, allowance: Allowance) -> str:
    """What held the pacer's last decision back: the name idle time is filed under."""
    why = getattr(pacer, "limited_by", "")
    if allowance.mode != "predictive" and isinstance(pacer, Predictive):
        return f"guard {allowance.mode}"
    return why or pacer.name
