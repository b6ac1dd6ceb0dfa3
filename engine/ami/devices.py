"""Agents' phone registration from AMI device state, fed to routing.

An agent whose phone is unregistered (device state UNAVAILABLE or INVALID) is not
offered calls. Simulated agents (Local channels) have no device state and are left alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from engine.ami.client import AmiClient
from engine.logs import get_logger

log = get_logger(__name__)
UNREGISTERED = frozenset({"UNAVAILABLE", "INVALID", "UNKNOWN"})


def device_of(endpoint: str) -> str | None:
    """The AMI device name of a dial string ("PJSIP/1001" -> "PJSIP/1001"); None for
    Local channels and anything else without a device state of its own."""
    tech = endpoint.split("/", 1)[0].upper()
    return endpoint if tech in {"PJSIP", "SIP", "IAX2"} else None


class DeviceWatcher:
    def __init__(
        self,
        ami: AmiClient,
        endpoints: Callable[[], dict[str, str]],
        set_state: Callable[[str, bool], Awaitable[Any]],
    ) -> None:
        """``endpoints()`` maps agent ID -> dial string; ``set_state(agent, registered)``."""
        self.ami = ami
        self.endpoints = endpoints
        self.set_state = set_state
        self.known: dict[str, bool] = {}
        self._pending: set[asyncio.Future[None]] = set()
        ami.subscribe("DeviceStateChange", self._on_change)

    def _agents_by_device(self) -> dict[str, str]:
        out = {}
        for agent_id, endpoint in self.endpoints().items():
            device = device_of(endpoint)
            if device:
                out[device.upper()] = agent_id
        return out

    def _on_change(self, event: dict[str, Any]) -> None:
        device = str(event.get("Device", "")).upper()
        if device_of(device) is None:  # Local/..., Queue:..., Custom:...: not a phone
            return
        agent_id = self._agents_by_device().get(device)
        if agent_id is None:
            return
        registered = str(event.get("State", "")).upper() not in UNREGISTERED
        if self.known.get(agent_id) != registered:
            self.known[agent_id] = registered
            task = asyncio.ensure_future(self._apply(agent_id, registered))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _apply(self, agent_id: str, registered: bool) -> None:
        try:
            await self.set_state(agent_id, registered)
        except Exception as exc:
            log.warning("devices.update_failed", agent=agent_id, error=str(exc))

    async def sync(self) -> None:
        """Read every device's state once (at start and after AMI reconnects)."""
        devices = self._agents_by_device()
        if not devices:
            return
        reply = await self.ami.action({"Action": "DeviceStateList"})
        for item in reply if isinstance(reply, list) else []:
            if item.get("Event") == "DeviceStateChange":
                self._on_change(dict(item))
