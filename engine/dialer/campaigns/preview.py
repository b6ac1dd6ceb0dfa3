"""Preview mode: an agent sees the next contact and confirms (or skips) each call.

``preview_next(agent)`` hands the agent the best callable contact (status
``previewing``, kept for that agent until accepted or skipped); ``preview_accept``
re-checks compliance, reserves that very agent in the shared pool (so no inbound call
can take them meanwhile) and dials; a person is bridged straight to them. ``skip`` puts
the contact back for later (``SKIP_FOR``). Mixed into ``CampaignRunner``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from engine.dialer.campaigns import dial_store
from engine.dialer.core import outcomes
from engine.dialer.core.compliance import Attempt, Contact, check, ring_timeout
from engine.errors import Conflict

if TYPE_CHECKING:
    from engine.dialer.campaigns.runner import CampaignRunner

SKIP_FOR = 900.0
PUBLIC = ("id", "number", "customer_id", "name", "timezone", "priority", "due_at", "attempts",
          "last_outcome", "status", "agent_id")


def public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in PUBLIC}


class Preview:
    def _require_preview(self: CampaignRunner) -> None:
        if self.campaign["mode"] != "preview":
            raise Conflict(f"campaign {self.id} is not a preview campaign",
                           campaign_id=self.id, mode=self.campaign["mode"])
        if self.status != "running":
            raise Conflict(f"campaign {self.id} is {self.status}", campaign_id=self.id)

    async def preview_next(self: CampaignRunner, agent_id: str) -> dict[str, Any] | None:
        self._require_preview()
        db, now = self.deps.db, self.clock()
        held = await db.run(dial_store.previewing, self.id, agent_id)
        if held is not None:
            return public(held)
        rows = await self.callable_contacts(1, now)
        if not rows:
            return None
        await db.run(dial_store.set_status, rows[0]["id"], "previewing", now, None, None, agent_id)
        return public({**rows[0], "status": "previewing", "agent_id": agent_id})

    async def preview_skip(self: CampaignRunner, contact_id: int, agent_id: str) -> dict[str, Any]:
        row = await self._previewed(contact_id, agent_id)
        now = self.clock()
        await self.deps.db.run(dial_store.set_status, contact_id, "pending", now, now + SKIP_FOR,
                               None, None)
        return {**public(row), "status": "pending", "next_at": now + SKIP_FOR}

    async def preview_accept(self: CampaignRunner, contact_id: int,
                             agent_id: str) -> dict[str, Any]:
        row = await self._previewed(contact_id, agent_id)
        now = self.clock()
        attempts = [Attempt(datetime.fromtimestamp(at, UTC), outcome)
                    for at, outcome in row["history"]]
        who = Contact(str(row["id"]), row["number"], row["timezone"] or self.policy.timezone,
                      bool(row["opted_out"]))
        decision = check(who, attempts, datetime.fromtimestamp(now, UTC), self.compliance,
                         lambda _: bool(row["dnc"]), agent_reserved=True)
        if not decision.allowed:
            step = outcomes.skipped(decision.reason, decision.retry_at.timestamp()
                                    if decision.retry_at else None, now)
            await self.deps.db.run(dial_store.set_status, contact_id, step.status, now,
                                   step.next_at, decision.reason)
            raise Conflict(f"contact {contact_id} may not be called now: {decision.reason}",
                           contact_id=contact_id, reason=decision.reason)
        ring = ring_timeout(self.compliance, self.policy.ring_seconds)
        line_id = self.line_id(row)
        reserved = await self.deps.reservations.reserve_agent(
            agent_id, line_id, now, ring + 60.0, self.deps.router.instance,
            self.campaign["queue"])
        if reserved is None:
            raise Conflict(f"agent {agent_id} is not available", agent_id=agent_id)
        line = await self.dial({**row, "ring_timeout": ring}, agent_id, now, line_id)
        return {**public(row), "status": "dialing", "line": line.id}

    async def _previewed(self: CampaignRunner, contact_id: int, agent_id: str) -> dict[str, Any]:
        self._require_preview()
        row = await self.deps.db.run(dial_store.contact, self.id, contact_id)
        if row["status"] != "previewing" or row["agent_id"] != agent_id:
            raise Conflict(f"contact {contact_id} is not in agent {agent_id}'s preview",
                           contact_id=contact_id, status=row["status"])
        return row
