"""A campaign's decisions, pure: what the pacer sees, which ringing lines it hangs up,
how many lines to dial and which contacts compliance lets it call, what a preview agent
may dial, and how a line the event stream missed (or a talk an earlier engine left) is judged. The
campaign runner
(``campaigns/runner.py``) reads the live state, asks these, and carries the answers out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from engine.dialer.core import line_events as e
from engine.dialer.core.compliance import Attempt, Contact, Decision, Policy, check, pick
from engine.dialer.core.line import Line
from engine.dialer.core.missed import Missed, missed, stasis_args
from engine.dialer.core.ordering import order
from engine.dialer.core.outcomes import skipped
from engine.dialer.core.pacing import Allowance, Pacer, Predictive, Snapshot

StatusUpdate = tuple[int, str, float | None, str | None]  # contact, status, next_at, reason


# -- pacing -------------------------------------------------------------------------
def ringing_pool(lines: Iterable[Line]) -> list[Line]:
    """The pacer's lines still ringing (not reserved for a preview agent, not being hung
    up), in ``Snapshot.ringing`` order."""
    return [
        ln
        for ln in lines
        if ln.reserved_agent is None and ln.state == "ringing" and ln.hung_up_at is None
    ]


def pacer_lines(lines: Sequence[Line]) -> list[Line]:
    """The pacer's lines in flight: ringing (not being hung up) or in AMD."""
    return [
        *ringing_pool(lines),
        *(ln for ln in lines if ln.reserved_agent is None and ln.state == "detecting"),
    ]


def snapshot(
    now: float,
    free: int,
    talking: Sequence[float],
    wrapping: Sequence[float],
    lines: Sequence[Line],
    waiting: int,
) -> Snapshot:
    """What the pacer sees: the agents, the ``lines`` in flight (this campaign's first, so
    ``cancels`` indices stay its own) and every live answer or call waiting for them."""
    return Snapshot(
        now,
        free,
        tuple(talking),
        tuple(wrapping),
        tuple(
            now - ln.dialed_at for ln in lines if ln.state == "ringing" and ln.hung_up_at is None
        ),
        tuple(now - (ln.answered_at or now) for ln in lines if ln.state == "detecting"),
        waiting,
    )


def to_hang_up(
    pacer: Pacer, snap: Snapshot, allowance: Allowance, ringing: Sequence[Line]
) -> list[Line]:
    """The ringing lines the predictive pacer no longer wants (rung >= 15 s, and a person
    answering now would likely find no agent); ``ringing`` is ``ringing_pool``."""
    if not isinstance(pacer, Predictive):
        return []
    return [ringing[i] for i in pacer.cancels(snap, allowance) if i < len(ringing)]


def dials_wanted(
    pacer: Pacer, snap: Snapshot, allowance: Allowance, max_lines: int, in_flight: int
) -> int:
    """Lines to dial now: what the pacer wants, within the engine's line limit."""
    return max(0, min(pacer.dials(snap, allowance), max_lines - in_flight))


# -- contacts -----------------------------------------------------------------------
def contact_of(row: Mapping[str, Any], timezone: str) -> Contact:
    return Contact(
        str(row["id"]), row["number"], row["timezone"] or timezone, bool(row["opted_out"])
    )


def attempts_of(row: Mapping[str, Any]) -> list[Attempt]:
    return [Attempt(datetime.fromtimestamp(at, UTC), outcome) for at, outcome in row["history"]]


@dataclass(frozen=True)
class Choice:
    """The contacts to dial (rows with their ``ring_timeout``), and the new status of
    every contact passed over on the way (``reasons``: why, one entry each)."""

    dial: list[dict[str, Any]] = field(default_factory=list)
    updates: list[StatusUpdate] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def choose(
    rows: Iterable[Mapping[str, Any]],
    n: int,
    now: float,
    timezone: str,
    compliance: Policy,
    ring_seconds: float,
) -> Choice:
    """Up to ``n`` of ``rows`` (the candidates) compliance allows now, best first; the
    others passed over get their next time (or a final status: DNC, opt-out, no attempts
    left)."""
    ordered = order(rows, now)
    by_id = {str(r["id"]): r for r in ordered}
    blocked = {r["number"] for r in ordered if r["dnc"]}
    dials, passed = pick(
        [(contact_of(r, timezone), attempts_of(r)) for r in ordered],
        n,
        datetime.fromtimestamp(now, UTC),
        compliance,
        lambda number: number in blocked,
        ring=ring_seconds,
    )
    updates, reasons = [], []
    for contact, decision in passed:
        reasons.append(decision.reason)
        step = _next_step(decision, now)
        updates.append(
            (int(contact.id), step[0], step[1], None if step[0] == "pending" else decision.reason)
        )
    return Choice(
        [{**by_id[d.contact_id], "ring_timeout": d.ring_timeout} for d in dials], updates, reasons
    )


def preview_check(
    row: Mapping[str, Any], now: float, timezone: str, compliance: Policy
) -> tuple[Decision, tuple[str, float | None]]:
    """May the preview agent dial ``row`` now (its agent is reserved: the 72 h rest after
    an abandon is waived)? With the contact's next status and time when not."""
    decision = check(
        contact_of(row, timezone),
        attempts_of(row),
        datetime.fromtimestamp(now, UTC),
        compliance,
        lambda _: bool(row["dnc"]),
        agent_reserved=True,
    )
    return decision, _next_step(decision, now)


def _next_step(decision: Decision, now: float) -> tuple[str, float | None]:
    step = skipped(
        decision.reason, decision.retry_at.timestamp() if decision.retry_at else None, now
    )
    return step.status, step.next_at


# -- what the event stream missed ------------------------------------------------------
def to_judge(lines: Iterable[Line], known: Mapping[str, str | None]) -> list[Line]:
    """The lines whose legs were all ``known`` before Asterisk's channel list was asked
    for: a leg made since cannot be in it, and is not missing."""
    return [
        ln
        for ln in lines
        if ln.id in known and known[ln.id] == ln.agent_channel and ln.state != "ended"
    ]


def judge(
    line: Line, channel: Mapping[str, Any] | None, agent: Mapping[str, Any] | None, app: str
) -> tuple[Missed | None, e.LineEvent | None]:
    """What ``line`` went through unseen (``missed``), as the event to hand it; for
    ``message-over?`` no event: the runner asks Asterisk whether the playback is over."""
    what = missed(
        line.state,
        dict(channel) if channel is not None else None,
        dict(agent) if agent is not None else None,
        bool(line.agent_channel),
        app,
    )
    event: e.LineEvent | None = None
    if what == "gone":
        event = e.CustomerGone(0)
    elif what == "verdict-lost":
        event = e.VerdictLost()
    elif what == "answered":
        event = e.Answered()  # AMD runs now
    elif what == "verdict":
        args = stasis_args(dict(channel or {}), app)
        event = e.Verdict(args[1] if len(args) > 1 else "", ",".join(args[2:]), late=True)
    elif what == "agent-gone":
        event = e.AgentGone()
    elif what == "agent-answered":
        event = e.AgentAnswered(line.agent_channel or "")
    return what, event


def adoption(
    channel: str, agent_channel: str, owned: bool, adopted: bool, up: Collection[str]
) -> Literal["skip", "adopt", "close"]:
    """A talk an earlier life of the engine left (``campaigns/adopt.py``): skipped when
    this engine owns the line or adopted it already, adopted while both legs are ``up``
    in Asterisk, else closed (it ended while no engine watched)."""
    if owned or adopted:
        return "skip"
    return "adopt" if channel in up and agent_channel in up else "close"


# -- control from another engine -------------------------------------------------------
FOLLOWED = frozenset({"running", "paused", "stopped"})  # statuses a control can set


def takes_status(current: str, wanted: str) -> bool:
    """Whether the runner of a campaign (``current``) takes a status set on another
    engine (``wanted``, from the controls channel or the shared store): a runner still
    running or paused follows start/pause/resume/stop; one that finished (stopped, done,
    its lease lost) is never brought back this way."""
    return current != wanted and current in ("running", "paused") and wanted in FOLLOWED
