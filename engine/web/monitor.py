"""Listen, whisper and barge: a supervisor's phone joins a live call through ARI.

The agent's channel is snooped (``POST /channels/{id}/snoop``: ``spy=both`` to hear both
sides; ``whisper=out`` lets the agent hear the supervisor; ``whisper=both`` lets the caller
hear too, a barge). The snoop channel and a call originated to the supervisor's endpoint
both enter the engine's Stasis app with the argument ``monitor,<session>`` and meet in a
mixing bridge ``monitor-<session>``; when either leaves, the other is hung up.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from typing import Any

from engine.ari.client import AriClient
from engine.logs import get_logger

log = get_logger(__name__)
MODES = {"listen": "none", "whisper": "out", "barge": "both"}
STASIS_ARG = "monitor"


class Monitor:
    def __init__(self, ari: AriClient, app: str) -> None:
        self.ari = ari
        self.app = app
        self.sessions: dict[str, set[str]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self, agent_channel: str, endpoint: str, mode: str) -> str:
        session = secrets.token_hex(6)
        bridge = f"monitor-{session}"
        self.sessions[session] = set()
        await self.ari.create_bridge(bridge, name=bridge)
        args = f"{STASIS_ARG},{session}"
        await self.ari.call(
            "snoop",
            channelId=agent_channel,
            snoopId=f"snoop-{session}",
            spy="both",
            whisper=MODES[mode],
            app=self.app,
            appArgs=args,
        )
        await self.ari.originate(  # the agent's leg as originator: its codecs, no transcoding
            endpoint,
            channelId=f"sup-{session}",
            app=self.app,
            appArgs=args,
            timeout=30,
            originator=agent_channel,
        )
        return session

    def on_event(self, event: dict[str, Any]) -> None:
        """StasisStart of a snoop or supervisor channel (``calls.stasis_apps``)."""
        args = event.get("args") or []
        if len(args) < 2:
            return
        task = asyncio.create_task(self._join(args[1], event["channel"]["id"]))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _join(self, session: str, channel: str) -> None:
        try:
            if channel.startswith("sup-"):
                await self.ari.answer(channel)
            await self.ari.add_channel(f"monitor-{session}", [channel])
            self.sessions.setdefault(session, set()).add(channel)
        except Exception as exc:
            log.warning("monitor.join_failed", session=session, channel=channel, error=str(exc))

    def tap(self, event: dict[str, Any]) -> None:
        """A monitor leg gone: hang up its partner, drop the bridge."""
        if event.get("type") != "StasisEnd":
            return
        channel = (event.get("channel") or {}).get("id", "")
        for session, legs in list(self.sessions.items()):
            if channel in legs:
                del self.sessions[session]
                task = asyncio.create_task(self._end(session, legs - {channel}))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _end(self, session: str, others: set[str]) -> None:
        for other in others:
            with contextlib.suppress(Exception):
                await self.ari.hangup(other)
        with contextlib.suppress(Exception):
            await self.ari.destroy_bridge(f"monitor-{session}")
