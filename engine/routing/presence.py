"""Agent presence: log in/out, pause/unpause, phone registration.

Used by the routing service, the HTTP API and the CLI (which talks to Redis directly).
An agent who becomes available is announced on the wake channel so that every engine
looks for a waiting call for them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from engine.errors import Conflict, NotFound
from engine.phones.registration import offerable
from engine.routing.failures import exclusions
from engine.routing.store import RoutingStore

PAUSE_REASONS = (
    "break",
    "lunch",
    "training",
    "meeting",
    "after-call",
    "ring-timeout",
    "busy",
    "unreachable",
    "other",
)
STATES = ("logged_out", "available", "paused", "ringing", "on_call", "wrapup")


class Presence:
    def __init__(self, store: RoutingStore, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    async def _op(self, op: str, agent_id: str, *args: Any, wake: bool = True) -> str:
        now = self.clock()
        ok, state = await self.store.agent_op(op, now, agent_id, *args)
        if state == "unknown":
            raise NotFound(f"no agent {agent_id!r}", agent_id=agent_id)
        if not ok:
            raise Conflict(
                f"agent {agent_id} cannot {op} while {state}", agent_id=agent_id, state=state
            )
        await self.announce(agent_id, state, now, wake=wake)
        return state

    async def announce(
        self, agent_id: str, state: str, now: float, wake: bool = True, **extra: Any
    ) -> None:
        keys = self.store.keys
        await self.store.publish_event(
            keys.events, {"type": "agent", "agent_id": agent_id, "state": state, "at": now, **extra}
        )
        if state == "available" and wake:
            await self.store.redis.publish(keys.wake, agent_id)

    async def login(self, agent_id: str) -> str:
        return await self._op("login", agent_id)

    async def logout(self, agent_id: str) -> str:
        return await self._op("logout", agent_id)

    async def pause(self, agent_id: str, reason: str = "break") -> str:
        return await self._op("pause", agent_id, reason or "other")

    async def unpause(self, agent_id: str) -> str:
        return await self._op("unpause", agent_id)

    async def set_device_state(self, agent_id: str, registered: bool, box: str = "") -> str:
        """The phone's registration as ``box`` (an instance_id: that engine's Asterisk)
        sees it; the agent is registered while a live box has it (its home). Without
        ``box``: one flag for every box (an operator's word)."""
        return await self._op("device", agent_id, "1" if registered else "0", box, wake=registered)

    async def list(self) -> list[dict[str, Any]]:
        now = self.clock()
        return [agent_view(row, now) for row in await self.store.agents()]


def agent_view(row: dict[str, str], now: float) -> dict[str, Any]:
    """One agent's live state and occupancy (share of logged-in time ringing, talking or
    in wrap-up)."""
    state = row.get("state", "logged_out")
    busy = float(row.get("busy_total") or 0)
    if state in ("ringing", "on_call", "wrapup"):
        busy += now - float(row.get("busy_since") or now)
    online = now - float(row.get("login_at") or now)
    return {
        "id": row.get("id"),
        "name": row.get("name"),
        "endpoint": row.get("endpoint"),
        "state": state,
        "reason": row.get("reason") or None,
        "since": float(row.get("since") or 0),
        "call_id": row.get("call") or None,
        "registered": row.get("registered") != "0",
        # offered calls now: available with a phone not known unregistered
        "offerable": offerable(state, row.get("registered") != "0"),
        "home": row.get("home") or None,
        # boxes that could not reach the phone: no offers from them until "until"
        "excluded": exclusions(row, now),
        "pause_after": row.get("pause_after") or None,
        "handled": int(row.get("handled") or 0),
        "occupancy": round(busy / online, 3) if state != "logged_out" and online > 0 else None,
    }
