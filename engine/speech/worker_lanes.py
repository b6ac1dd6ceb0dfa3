"""Which recognizer process runs how: shared by the engine side (``remote``, which
starts the processes) and the process itself (``worker``), without the model's imports."""

from __future__ import annotations

from typing import Any


def lane_is_idle(settings: Any, lane: str) -> bool:
    """The free-form process with idle workers: in a scheduler group of its own (see
    ``own_group``), which it makes as light as it goes (``worker.group_nice``)."""
    return lane == "listen" and settings.speech_worker_policy == "idle"


def own_group(settings: Any, lane: str) -> bool:
    """Whether the process of ``lane`` starts in a session (and so, with the kernel's
    autogroups, a scheduler group) of its own: the idle free-form process, and the menu
    process. Inside the engine's group the menus' decoding came out of the event loop's
    share: the loop waited for a CPU while a menu was decoded
    (benchmarks/inbound_calls.py)."""
    return lane_is_idle(settings, lane) or lane == "menu"
