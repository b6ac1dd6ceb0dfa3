"""The one reload path of the supervisor's rule files.

The file watcher, SIGHUP and ``POST /routing/reload`` all call ``LiveSkills.reload``: it
re-reads every file of the catalogue; a unit whose files are valid is handed to its
domain (``bind``), a broken edit is refused with ``file:line:column: reason`` and that
unit's last good value stays live. ``errors`` keeps the last reload's problems (/status).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.logs import get_logger
from engine.skills import catalogue
from engine.skills.catalogue import Unit
from engine.skills.loader import SkillFileError

log = get_logger(__name__)
Apply = Callable[[Any], Awaitable[None] | None]
Refuse = Callable[[list[str]], None]


@dataclass
class Binding:
    apply: Apply
    refuse: Refuse | None = None


class LiveSkills:
    def __init__(self, folder: str | Path, units: Sequence[Unit] = catalogue.UNITS) -> None:
        self.folder = Path(folder)
        self.units = tuple(units)
        self.bindings: dict[str, Binding] = {}
        self.errors: list[str] = []
        self.reloads = 0
        self._lock = asyncio.Lock()

    def load(self) -> dict[str, Any]:
        """Every unit's value at start-up; a broken file stops it (``SkillFileError``)."""
        return catalogue.read_all(self.folder, self.units)

    def bind(self, unit: str, apply: Apply, refuse: Refuse | None = None) -> None:
        """``apply(value)`` takes a unit's new value; ``refuse(issues)`` hears of a
        broken edit (the domain's own record of it). Units nobody binds are checked only."""
        if all(u.name != unit for u in self.units):
            raise KeyError(f"no skills unit {unit!r}")
        self.bindings[unit] = Binding(apply, refuse)

    async def reload(self) -> bool:
        """Re-read every file; False when any edit was refused (``errors`` says why)."""
        async with self._lock:
            issues: list[str] = []
            for unit in self.units:
                binding = self.bindings.get(unit.name)
                try:
                    value = catalogue.read_unit(self.folder, unit)
                except SkillFileError as exc:
                    issues += exc.issues
                    for issue in exc.issues:
                        log.error("skills.reload_refused", unit=unit.name, issue=issue)
                    if binding is not None and binding.refuse is not None:
                        binding.refuse(exc.issues)
                    continue
                if binding is not None:
                    issues += await self._apply(unit, binding, value)
            self.errors = issues
            self.reloads += 1
            return not issues

    async def _apply(self, unit: Unit, binding: Binding, value: Any) -> list[str]:
        """Hand ``value`` to its domain; a domain that fails (Redis down...) is reported,
        never stops the reload of the others nor the watcher."""
        try:
            result = binding.apply(value)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            log.exception("skills.apply_failed", unit=unit.name)
            return [
                f"{self.folder / unit.files[0].name}:1:1: valid, but {unit.name} could "
                f"not take it: {exc}"
            ]
        return []

    def status(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "reloads": self.reloads,
            "last_reload_errors": self.errors,
        }
