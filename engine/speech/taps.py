"""The ARI side of hearing one call leg: a snoop channel, an externalMedia channel, a bridge.

    tap = await taps.open("c1-hear-caller-1", "c1", "127.0.0.1:30000", "media,c1,caller")
    ...
    await taps.close(tap)

``open`` creates the snoop (``spy=in``: what the leg says, not what it hears) with the
Stasis arguments ``media,...`` and the externalMedia channel (RTP slin16 to the engine's
media server, which has no Stasis arguments), waits until both entered Stasis (their
``StasisStart`` comes to ``on_stasis_start`` through ``CallService.stasis_apps``), and
bridges them. Any failure closes what was made. ``close`` hangs both up and destroys the
bridge; gone already (404) is fine. ``sweep`` (after each event-socket connect) removes
taps Asterisk still has that no live leg owns, e.g. after an engine restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from engine.ari.client import AriClient
from engine.ari.errors import AriError
from engine.logs import get_logger

log = get_logger(__name__)
BRIDGE_PREFIX = "speech-"
OURS = re.compile(r"-hear-(caller|agent)-\d+-(spy|rtp)$")


@dataclass(frozen=True)
class Tap:
    tap_id: str

    @property
    def snoop_id(self) -> str:
        return f"{self.tap_id}-spy"

    @property
    def media_id(self) -> str:
        return f"{self.tap_id}-rtp"

    @property
    def bridge_id(self) -> str:
        return f"{BRIDGE_PREFIX}{self.tap_id}"


class AriTaps:
    def __init__(self, ari: AriClient, app: str, timeout: float = 3.0) -> None:
        self.ari, self.app, self.timeout = ari, app, timeout
        self.live: dict[str, Tap] = {}
        self._entered: dict[str, asyncio.Future[None]] = {}

    def on_stasis_start(self, event: dict[str, Any]) -> None:
        channel_id = (event.get("channel") or {}).get("id", "")
        waiter = self._entered.get(channel_id)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        elif not OURS.search(channel_id):
            log.warning("speech.unexpected_channel", channel=channel_id, args=event.get("args"))

    async def open(self, tap_id: str, channel: str, external_host: str, args: str) -> Tap:
        tap = Tap(tap_id)
        loop = asyncio.get_running_loop()
        waits = [
            self._entered.setdefault(cid, loop.create_future())
            for cid in (tap.snoop_id, tap.media_id)
        ]
        self.live[tap_id] = tap
        try:
            await _all(
                self.ari.call(
                    "snoop",
                    channelId=channel,
                    snoopId=tap.snoop_id,
                    spy="in",
                    app=self.app,
                    appArgs=args,
                ),
                self.ari.call(
                    "external_media",
                    channelId=tap.media_id,
                    app=self.app,
                    external_host=external_host,
                    format="slin16",
                    encapsulation="rtp",
                    transport="udp",
                ),
                self.ari.create_bridge(tap.bridge_id, "mixing", name=tap_id),
            )
            await asyncio.wait_for(asyncio.gather(*waits), self.timeout)
            await self.ari.add_channel(tap.bridge_id, [tap.snoop_id, tap.media_id])
        except BaseException:
            await asyncio.shield(self.close(tap))
            raise
        finally:
            for cid in (tap.snoop_id, tap.media_id):
                self._entered.pop(cid, None)
        return tap

    async def close(self, tap: Tap) -> None:
        self.live.pop(tap.tap_id, None)
        await asyncio.gather(
            _quiet(self.ari.hangup(tap.snoop_id)),
            _quiet(self.ari.hangup(tap.media_id)),
            _quiet(self.ari.destroy_bridge(tap.bridge_id)),
        )

    async def close_all(self) -> int:
        """Engine stop: hang up every tap still open (a leg whose close did not finish in
        time included), before the ARI session goes. The calls themselves stay up."""
        taps = list(self.live.values())
        await asyncio.gather(*(self.close(tap) for tap in taps))
        return len(taps)

    async def sweep(self) -> int:
        """Hang up tap channels and destroy tap bridges no live leg owns.

        Ownership is read after Asterisk's lists arrive: a tap opened while they were on
        their way (an adopted call starts listening during the resync) is listed by Asterisk
        and already in ``live``, since ``open`` enters it there before creating anything."""
        channels, bridges = await asyncio.gather(self.ari.channels(), self.ari.bridges())
        owned = {cid for tap in self.live.values() for cid in (tap.snoop_id, tap.media_id)}
        owned |= {tap.bridge_id for tap in self.live.values()}
        stale = [
            self.ari.hangup(c["id"])
            for c in channels
            if OURS.search(c["id"]) and c["id"] not in owned
        ]
        stale += [
            self.ari.destroy_bridge(b["id"])
            for b in bridges
            if b["id"].startswith(BRIDGE_PREFIX) and b["id"] not in owned
        ]
        await asyncio.gather(*map(_quiet, stale))
        if stale:
            log.info("speech.swept", leftovers=len(stale))
        return len(stale)


async def _quiet(coro: Awaitable[Any]) -> None:
    with contextlib.suppress(AriError):
        await coro


async def _all(*coros: Awaitable[Any]) -> None:
    """Run all to completion (none left in flight), then raise the first failure."""
    results = await asyncio.gather(*coros, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
