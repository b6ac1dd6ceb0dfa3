"""The ARI event WebSocket, kept open: reconnect with backoff, resync after each connect.

``run()`` loops until ``stop()``: connect to ``/ari/events?app=...``, call
``on_connect`` (the call service resyncs its calls from ``GET /channels`` and
``GET /bridges`` there), then hand every event to ``on_event`` in arrival order.
When the socket drops, it waits with exponential backoff and jitter and tries again.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import orjson

from engine.logs import get_logger

log = get_logger(__name__)
Event = dict[str, Any]


class AriEventStream:
    def __init__(
        self,
        base_url: str,
        user: str,
        password: str,
        app: str,
        on_event: Callable[[Event], None],
        on_connect: Callable[[], Awaitable[None]] | None = None,
        backoff_initial: float = 0.2,
        backoff_max: float = 10.0,
    ) -> None:
        self.url = base_url.rstrip("/").replace("http", "ws", 1) + "/events"
        self.params = {"app": app, "api_key": f"{user}:{password}", "subscribeAll": "false"}
        self.on_event = on_event
        self.on_connect = on_connect
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.connected = asyncio.Event()
        self.connects = 0
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._stopping = False

    async def run(self) -> None:
        delay = self.backoff_initial
        async with aiohttp.ClientSession() as session:
            while not self._stopping:
                served = False
                try:
                    async with session.ws_connect(
                        self.url, params=self.params, heartbeat=20, max_msg_size=0
                    ) as ws:
                        self._ws = ws
                        self.connects += 1
                        log.info("ari.connected", attempt=self.connects)
                        if self.on_connect is not None:
                            await self.on_connect()
                        self.connected.set()
                        served = True
                        await self._read(ws)
                except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                    log.warning("ari.connect_failed", error=str(exc), retry_in=round(delay, 2))
                except Exception:
                    log.exception("ari.on_connect_failed")
                finally:
                    self._ws = None
                    self.connected.clear()
                if self._stopping:
                    break
                if served:  # a connection that worked: start the backoff again
                    delay = self.backoff_initial
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, self.backoff_max)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                try:
                    event = orjson.loads(msg.data)
                except orjson.JSONDecodeError:
                    log.warning("ari.bad_event", data=msg.data[:200])
                    continue
                try:
                    self.on_event(event)
                except Exception:
                    log.exception("ari.event_handler_failed", type=event.get("type"))
            elif msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                break
        if not self._stopping:
            log.warning("ari.disconnected")

    async def drop(self) -> None:
        """Close the current socket as if the network failed (used by tests and ops)."""
        if self._ws is not None:
            await self._ws.close()

    async def stop(self) -> None:
        self._stopping = True
        if self._ws is not None:
            await self._ws.close()
