"""Pure routing rules: what a waiting call needs at a given wait, and where to look.

No I/O and no clock: every function takes the config, the call or agent, and ``now``
or a wait in seconds. Names used as index keys:

- **pool** ``skill|level|language|group`` (``*`` for "any"): available agents, by idle-since.
  An agent sits in one pool per (its skill or ``*``) x language x (its group or ``*``).
- **lane** ``queue|language|tier|risk|front|owner``: waiting calls by queued-at. Every call
  of a lane is treated alike except for its wait, so a lane's oldest call is the first one
  any agent becomes eligible for; priority inside a lane is plain FIFO.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.calls.ports import Caller
from engine.routing.config_types import Agent, Queue, RoutingConfig, Tier

ANY = "*"
FRONT_BOOST = 1_000_000.0  # a call put back after a failed ring goes before everyone


@dataclass(frozen=True)
class Needs:
    """What an agent must have to take a call of a queue at one moment of its wait."""

    skills: tuple[tuple[str, int], ...]  # (skill, min proficiency); empty: any agent
    groups: frozenset[str]  # skilled agents of these groups (empty: any)
    general_groups: frozenset[str]  # agents of these groups qualify without skills
    hint: bool  # agents lacking the skills get a KB answer
    step: int  # escalation steps passed (0: none)


def needs_at(queue: Queue, tier: Tier | None, wait: float) -> Needs:
    skills, groups = dict(queue.skills), set(queue.groups)
    general: set[str] = set()
    hint, passed = False, 0
    for step in queue.steps:
        if step.after > wait:
            break
        passed += 1
        if step.min_proficiency is not None:
            skills = {s: min(m, step.min_proficiency) for s, m in skills.items()}
        if groups:
            groups |= set(step.widen_groups)
        general |= set(step.general_groups)
        hint = hint or step.knowledge_hint
    if tier is not None and tier.group and (tier.max_wait is None or wait < tier.max_wait):
        groups, general = {tier.group}, set()  # the tier's dedicated agents only
    return Needs(tuple(skills.items()), frozenset(groups), frozenset(general), hint, passed)


def agent_meets(agent: Agent, needs: Needs) -> tuple[bool, bool]:
    """(qualifies, only as a general agent) for ``needs``, language aside."""
    skilled = all(agent.skills.get(s, 0) >= m for s, m in needs.skills) and (
        not needs.groups or any(g in needs.groups for g in agent.groups)
    )
    if skilled:
        return True, False
    general = any(g in needs.general_groups for g in agent.groups)
    return general, general


def agent_pools(agent: Agent) -> list[str]:
    groups = [*agent.groups, ANY]
    skills = [*agent.skills.items(), (ANY, 0)]
    return [
        f"{s}|{lvl}|{lang}|{g}" for lang in agent.languages for g in groups for s, lvl in skills
    ]


def call_pools(
    queue: Queue, needs: Needs, language: str
) -> tuple[list[list[str]], list[tuple[str, int]]]:
    """Pools to search for a call, best first: a list of tiers (within a tier the longest
    idle agent wins) and the extra skills (after the first) each candidate must have."""
    groups = sorted(needs.groups) or [ANY]
    tiers: list[list[str]]
    if needs.skills:
        skill, low = needs.skills[0]
        tiers = [[f"{skill}|{lvl}|{language}|{g}" for g in groups] for lvl in range(5, low - 1, -1)]
    else:
        tiers = [[f"{ANY}|0|{language}|{g}" for g in groups]]
    if needs.general_groups:
        tiers.append([f"{ANY}|0|{language}|{g}" for g in sorted(needs.general_groups)])
    if queue.strategy == "longest-idle":
        tiers = [[p for tier in tiers for p in tier]]
    return tiers, list(needs.skills[1:])


def breakpoints(queue: Queue, tier: Tier | None) -> tuple[list[float], float]:
    """Waits at which the needs may change, and the wait at which the call leaves."""
    points = {0.0, *(s.after for s in queue.steps)}
    leave = min((s.after for s in queue.steps if s.overflow), default=float("inf"))
    if tier is not None and tier.group and tier.max_wait is not None:
        points.add(float(tier.max_wait))
        if tier.overflow:
            leave = min(leave, float(tier.max_wait))
    return sorted(p for p in points if p < leave), leave


def agent_cutoffs(config: RoutingConfig, agent: Agent) -> dict[str, float]:
    """``queue|tier`` -> the wait from which ``agent`` may take such calls (absent: never)."""
    return Cutoffs(config)(agent)


class Cutoffs:
    """``agent_cutoffs`` for one config, fast: the needs timeline of every queue and tier
    is computed once, and agents with the same skills and groups share one answer."""

    def __init__(self, config: RoutingConfig) -> None:
        self.timeline = {
            f"{q.name}|{t.name if t else '-'}": [needs_at(q, t, w) for w in breakpoints(q, t)[0]]
            for q in config.queues.values()
            for t in (None, *config.tiers)
        }
        self.waits = {
            f"{q.name}|{t.name if t else '-'}": breakpoints(q, t)[0]
            for q in config.queues.values()
            for t in (None, *config.tiers)
        }
        self.by_profile: dict[tuple[object, ...], dict[str, float]] = {}

    def __call__(self, agent: Agent) -> dict[str, float]:
        key = (tuple(sorted(agent.skills.items())), tuple(sorted(agent.groups)))
        found = self.by_profile.get(key)
        if found is None:
            found = self.by_profile[key] = {}
            for qt, timeline in self.timeline.items():
                for wait, needs in zip(self.waits[qt], timeline, strict=True):
                    if agent_meets(agent, needs)[0]:
                        found[qt] = wait
                        break
        return found


def classify(config: RoutingConfig, caller: Caller | None) -> tuple[Tier | None, str]:
    """The caller's VIP tier (or None) and churn-risk class (``-`` when it adds nothing)."""
    risk = (
        caller.risk_tier
        if caller and caller.risk_tier is not None and caller.risk_tier in config.churn_boost
        else "-"
    )
    if caller is None:
        return None, risk
    explicit = config.tier(caller.vip_tier)
    if explicit is not None:
        return explicit, risk
    for tier in config.tiers:
        if (
            (
                tier.value_percentile is not None
                and caller.value_percentile is not None
                and caller.value_percentile >= tier.value_percentile
            )
            or (caller.risk_tier is not None and caller.risk_tier in tier.risk_tiers)
            or any(f in caller.flags for f in tier.flags)
        ):
            return tier, risk
    return None, risk


def lane_name(queue: str, language: str, tier: str, risk: str, front: bool, owner: str) -> str:
    return f"{queue}|{language}|{tier}|{risk}|{int(front)}|{owner}"


def boost(config: RoutingConfig, queue: str, tier: str, risk: str, front: bool) -> float:
    q, t = config.queues.get(queue), config.tier(tier)
    return (
        (q.priority if q else 0.0)
        + (t.priority_boost if t else 0.0)
        + config.churn_boost.get(risk, 0.0)
        + (FRONT_BOOST if front else 0.0)
    )


def priority(config: RoutingConfig, lane: str, queued_at: float, now: float) -> float:
    """The call's priority score: boosts plus aging; higher goes first."""
    queue, _, tier, risk, front, _ = lane.split("|")
    return boost(config, queue, tier, risk, front == "1") + config.aging * (now - queued_at)
