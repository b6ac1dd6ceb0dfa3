"""Agents' phone registration from AMI device state and contact status, fed to routing.

An agent whose phone is unregistered (device state UNAVAILABLE or INVALID, contact
removed or unreachable: ``engine.phones.registration``) is not offered calls. Simulated
agents (Local channels) have no device state and are left alone. ``sync`` reads every
device at start, after AMI reconnects and after an agents edit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from engine.ami.client import AmiClient
from engine.logs import get_logger
from engine.phones.registration import device_of, registered_from

log = get_logger(__name__)


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
        ami.subscribe("ContactStatus", self._on_change)

    def _agents_by_device(self) -> dict[str, str]:
        out = {}
        for agent_id, endpoint in self.endpoints().items():
            device = device_of(endpoint)
            if device:
                out[device.upper()] = agent_id
        return out

    def _on_change(self, event: dict[str, Any]) -> None:
        told = registered_from(event)
        if told is None:
            return
        device, registered = told
        agent_id = self._agents_by_device().get(device.upper())
        if agent_id is None:
            return
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
        """Read every device's state once (at start, after AMI reconnects, after an
        agents edit); what was known is read anew."""
        devices = self._agents_by_device()
        if not devices:
            return
        self.known.clear()
        reply = await self.ami.action({"Action": "DeviceStateList"})
        for item in reply if isinstance(reply, list) else []:
            if item.get("Event") == "DeviceStateChange":
                self._on_change(dict(item))
