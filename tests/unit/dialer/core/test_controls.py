"""A campaign's runner follows the status a supervisor set on another engine."""

import pytest

from engine.dialer.core.campaign import takes_status


@pytest.mark.parametrize(
    ("current", "wanted", "taken"),
    [
        ("running", "paused", True),  # paused on another box
        ("paused", "running", True),  # resumed there
        ("running", "stopped", True),
        ("paused", "stopped", True),
        ("running", "running", False),  # nothing to do
        ("stopped", "running", False),  # finished here (or its lease lost): not revived
        ("done", "paused", False),
        ("running", "done", False),  # only the runner itself finishes a campaign
        ("running", "draft", False),
    ],
)
def test_a_runner_takes_a_status_set_elsewhere_only_while_it_runs(current, wanted, taken):
    assert takes_status(current, wanted) is taken
