"""How dials end, in the dialer's words, and what follows for the contact."""

import pytest

from engine.dialer.core.outcomes import (
    after_attempt,
    amd_kind,
    dial_outcome,
    intervention_outcome,
    pacer_outcome,
    skipped,
)
from engine.dialer.core.policy import CampaignPolicy

NOW = 1_000.0
POLICY = CampaignPolicy(
    max_attempts=3,
    retry_seconds={"busy": 60.0, "no-answer": 120.0, "machine": 300.0, "failed": 30.0},
)


@pytest.mark.parametrize(
    ("status", "cause", "outcome"),
    [
        ("BUSY", None, "busy"),
        ("NOANSWER", None, "no-answer"),
        ("CANCEL", None, "no-answer"),
        ("CONGESTION", None, "failed"),
        ("CHANUNAVAIL", None, "failed"),
        (None, 19, "no-answer"),
        (None, 17, "busy"),
        (None, 34, "failed"),
        (None, 0, "failed"),
        ("", 18, "no-answer"),
    ],
)
def test_dial_outcome(status, cause, outcome):
    assert dial_outcome(status, cause) == outcome


@pytest.mark.parametrize(
    ("amd", "kind"),
    [
        ("HUMAN", "live"),
        ("MACHINE", "machine"),
        ("machine", "machine"),
        ("NOTSURE", "live"),
        ("", "live"),
    ],
)
def test_amd_status_to_kind(amd, kind):
    assert amd_kind(amd) == kind


def test_intervention_and_pacer_names():
    assert intervention_outcome("machine", message_left=True) == "machine-message"
    assert intervention_outcome("machine") == "machine"
    assert intervention_outcome("abandoned") == "abandoned"
    assert pacer_outcome("busy", None) == "busy"
    assert pacer_outcome("failed", None) == "no-answer"
    assert pacer_outcome("answered", "live") == "live"


def test_after_attempt():
    assert after_attempt("answered", 1, NOW, POLICY).status == "done"
    assert after_attempt("machine", 1, NOW, POLICY, message_left=True).status == "done"
    step = after_attempt("machine", 1, NOW, POLICY)
    assert (step.status, step.next_at) == ("pending", NOW + 300)
    assert after_attempt("busy", 2, NOW, POLICY).next_at == NOW + 60
    assert after_attempt("no-answer", 1, NOW, POLICY).next_at == NOW + 120
    assert after_attempt("abandoned", 1, NOW, POLICY).next_at == NOW + 72 * 3600
    assert after_attempt("busy", 3, NOW, POLICY).status == "exhausted"


def test_skipped_contacts():
    assert skipped("dnc", None, NOW).status == "blocked"
    assert skipped("opted-out", None, NOW).status == "blocked"
    assert skipped("max-attempts", None, NOW).status == "exhausted"
    later = skipped("outside-calling-window", NOW + 3600, NOW)
    assert (later.status, later.next_at) == ("pending", NOW + 3600)
    assert skipped("retry-after-busy", None, NOW).next_at == NOW + 60
