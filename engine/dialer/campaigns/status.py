"""A campaign's status with progress, as ``GET /dialer/campaigns/{id}`` and ``python -m
engine dialer status`` show it: contacts total / done / pending (and by status),
attempts by outcome, the abandon rate over the policy's window, the lines in flight,
how pacing is allowed to dial right now, the ringing lines predictive pacing hung up
since the engine started, and the occupancy of the campaign's agents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.dialer.campaigns import store
from engine.routing.presence import agent_view

if TYPE_CHECKING:
    from engine.dialer.campaigns.runner import CampaignRunner
    from engine.dialer.campaigns.service import DialerService


async def agents_of(service: DialerService, queue: str, now: float) -> dict[str, Any]:
    ids = service.eligible(queue)
    views = [agent_view(row, now) for row in await service.reservations.agents(ids)] if ids else []
    online = [v for v in views if v["state"] != "logged_out"]
    busy = [v["occupancy"] for v in online if v["occupancy"] is not None]
    return {
        "eligible": len(ids),
        "logged_in": len(online),
        "free": sum(1 for v in online if v["state"] == "available"),
        "occupancy": round(sum(busy) / len(busy), 3) if busy else None,
    }


async def campaign_status(
    service: DialerService, campaign: dict[str, Any], runner: CampaignRunner | None
) -> dict[str, Any]:
    now = service.clock()
    policy = store.policy_of(campaign)
    window = policy.guard().window
    progress = await service.db.run(store.progress, campaign["id"], now - window)
    progress["abandon"].update(limit=policy.abandon_limit, window=policy.abandon_window)
    live: dict[str, Any] = {"lines": 0, "by_state": {}, "waiting_for_agent": 0}
    if runner is not None:
        states: dict[str, int] = {}
        for line in runner.lines.values():
            states[line.state] = states.get(line.state, 0) + 1
        allowance = runner.guard.allowance(now)
        live = {
            "lines": len(runner.lines),
            "by_state": states,
            "waiting_for_agent": runner.guard.waiting,
            "pacing": allowance.mode,
            "pacing_reason": allowance.reason or None,
            "guard_rate": round(runner.guard.rate(now), 4),
            "skipped": dict(runner.skips),
            "hung_up_ringing": runner.hung_up,
        }
    return {
        **campaign,
        "progress": progress,
        "live": live,
        "agents": await agents_of(service, campaign["queue"], now),
    }
