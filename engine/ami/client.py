"""AMI through panoramisk, for what ARI does not give: device and contact state,
AMD results and dialer originates. panoramisk reconnects by itself; this wrapper
waits for login with a bounded timeout and fans events out to subscribers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from panoramisk import Manager

from engine.logs import get_logger

log = get_logger(__name__)
EventHandler = Callable[[dict[str, Any]], None]


class _Manager(Manager):
    """panoramisk reconnects whenever the connection drops, even after ``close()``;
    once we close on purpose, a lost connection stays lost."""

    closing = False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closing:
            self._connected = False
            return
        super().connection_lost(exc)


class AmiClient:
    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        secret: str,
        events: tuple[str, ...] = (
            "DeviceStateChange",
            "ContactStatus",
            "FullyBooted",
            "OriginateResponse",
        ),
    ) -> None:
        """``events``: the only AMI events Asterisk sends this session. Everything else
        (Newexten, VarSet... dozens per call) is filtered inside Asterisk, not parsed here."""
        self.host, self.port, self.user, self.secret = host, port, user, secret
        self.events = events
        self.manager: Manager | None = None
        self.logged_in = asyncio.Event()
        self.logins = 0
        self._handlers: dict[str, list[EventHandler]] = {}

    def subscribe(self, event_name: str, handler: EventHandler) -> None:
        """Call ``handler(event_dict)`` for every AMI event of that name ('*' for all)."""
        self._handlers.setdefault(event_name, []).append(handler)

    def _on_login(self, manager: Manager) -> None:
        self.logins += 1
        for name in self.events:
            manager.send_action(
                {"Action": "Filter", "Operation": "Add", "Filter": f"Event: {name}"}
            )
        self.logged_in.set()
        log.info("ami.logged_in", attempt=self.logins)

    def _on_disconnect(self, _manager: Manager, exc: Exception | None) -> None:
        self.logged_in.clear()
        log.warning("ami.disconnected", error=str(exc) if exc else None)

    async def _dispatch(self, _manager: Manager, message: Any) -> None:
        event = dict(message)
        for handler in self._handlers.get(event.get("Event", ""), []) + self._handlers.get("*", []):
            try:
                handler(event)
            except Exception:
                log.exception("ami.handler_failed", event_type=event.get("Event"))

    async def connect(self, timeout: float = 10.0) -> None:
        self.manager = _Manager(
            host=self.host,
            port=self.port,
            username=self.user,
            secret=self.secret,
            ping_delay=10,
            ping_interval=10,
            reconnect_timeout=2,
            on_login=self._on_login,
            on_disconnect=self._on_disconnect,
            loop=asyncio.get_running_loop(),
        )
        self.manager.register_event("*", self._dispatch)
        await self.manager.connect()
        await asyncio.wait_for(self.logged_in.wait(), timeout)

    async def action(self, action: dict[str, Any]) -> Any:
        if self.manager is None:
            raise RuntimeError("AMI is not connected")
        return await self.manager.send_action(action)

    def close(self) -> None:
        if self.manager is not None:
            self.manager.closing = True
            self.manager.close()
            self.manager = None
