"""How a dial ended, in the dialer's words, and what that means for the contact. Pure.

- ``dial_outcome``: Asterisk's ``Dial`` status or hangup cause of an unanswered line ->
  ``busy`` / ``no-answer`` / ``failed``;
- ``amd_kind``: the AMD verdict -> ``live`` or ``machine``. ``NOTSURE`` counts as a
  person: a real customer must never be treated as a recorder (and the 2 s rule then
  protects them);
- ``intervention_outcome``: the name recorded on the customer (``answered``,
  ``abandoned``, ``machine-message``, ``machine``, ``busy``, ``no-answer``, ``failed``);
- ``after_attempt``: the contact's next status and when it may be called again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from engine.dialer.core.compliance import AttemptOutcome
from engine.dialer.core.policy import CampaignPolicy

Kind = Literal["live", "machine"]
ContactStatus = Literal["pending", "dialing", "previewing", "done", "exhausted", "blocked"]
FINAL = ("done", "exhausted", "blocked")
# an attempt the abandon rate counts as abandoned: abandoned, or a live answer whose AMD
# verdict the engine learnt late (the event socket was down; the guard's safe side)
DIAL_STATUS: dict[str, AttemptOutcome] = {
    "BUSY": "busy",
    "NOANSWER": "no-answer",
    "CANCEL": "no-answer",
    "CONGESTION": "failed",
    "CHANUNAVAIL": "failed",
    "DONTCALL": "failed",
    "TORTURE": "failed",
    "INVALIDARGS": "failed",
}
CAUSES: dict[int, AttemptOutcome] = {
    17: "busy",
    18: "no-answer",
    19: "no-answer",
    21: "busy",
    34: "failed",
    38: "failed",
    1: "failed",
}
BLOCKING = {
    "dnc": "blocked",
    "opted-out": "blocked",
    "unknown-timezone": "blocked",
    "no-calling-days": "blocked",
    "max-attempts": "exhausted",
}


def dial_outcome(dial_status: str | None = None, cause: int | None = None) -> AttemptOutcome:
    if dial_status and dial_status in DIAL_STATUS:
        return DIAL_STATUS[dial_status]
    return CAUSES.get(int(cause or 0), "failed")


def amd_kind(status: str) -> Kind:
    return "machine" if status.upper() == "MACHINE" else "live"


def intervention_outcome(outcome: AttemptOutcome, message_left: bool = False) -> str:
    if outcome == "machine" and message_left:
        return "machine-message"
    return outcome


def pacer_outcome(outcome: AttemptOutcome, kind: Kind | None) -> str:
    """What ``Predictive.record_dial`` learns from: live, machine, busy or no-answer."""
    if kind is not None:
        return kind
    return "busy" if outcome == "busy" else "no-answer"


@dataclass(frozen=True)
class NextStep:
    status: ContactStatus
    next_at: float | None = None  # epoch seconds; None for a final status


def after_attempt(
    outcome: AttemptOutcome,
    attempts: int,
    now: float,
    policy: CampaignPolicy,
    message_left: bool = False,
) -> NextStep:
    """``attempts`` counts this one. Answered and machine-with-message are done; the rest
    retry after the policy's interval (72 h after an abandon) until ``max_attempts``."""
    if outcome == "answered" or (outcome == "machine" and message_left):
        return NextStep("done")
    if attempts >= policy.max_attempts:
        return NextStep("exhausted")
    if outcome == "abandoned":
        wait = policy.compliance().abandoned_rest
    else:
        wait = policy.retry_seconds.get(outcome, policy.retry_seconds.get("failed", 900.0))
    return NextStep("pending", now + wait)


def skipped(reason: str, retry_at: float | None, now: float) -> NextStep:
    """A contact ``compliance.check`` refused: final for DNC, opt-out, an unknown zone or
    no attempts left; otherwise pending until ``retry_at`` (a minute when none is given)."""
    if reason in BLOCKING:
        return NextStep(BLOCKING[reason])  # type: ignore[arg-type]
    return NextStep("pending", retry_at if retry_at is not None else now + 60.0)


def counts_abandoned(outcome: str | None, details: str | None) -> bool:
    """An attempt the abandon rate counts as abandoned: abandoned, or a live answer whose
    AMD verdict the engine learnt late (the event socket was down; the guard's safe side).
    ``details`` is the attempt's stored JSON."""
    if outcome == "abandoned":
        return True
    if not details:
        return False
    try:
        found = json.loads(details)
    except ValueError:
        return False
    return isinstance(found, dict) and bool(found.get("late_verdict"))
