"""Which recognizer process runs how: shared by the engine side (``remote``, which
starts the processes) and the process itself (``worker``), without the model's imports."""

from __future__ import annotations

from typing import Any


def lane_is_idle(settings: Any, lane: str) -> bool:
    """The free-form process with idle workers: started in a session (and so, with
    autogroups, a scheduler group) of its own, which it makes as light as it goes
    (``worker.idle_group``)."""
    return lane == "listen" and settings.speech_worker_policy == "idle"
