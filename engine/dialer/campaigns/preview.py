"""Preview campaigns: ``preview_next(agent)`` hands the agent the best callable contact
(status ``previewing``, kept for that agent until accepted or skipped);
``preview_accept`` re-checks compliance, reserves that very agent in the shared pool (so
no inbound call can take them meanwhile) and dials; ``skip`` puts the contact back for
later (``SKIP_FOR``). Mixed into ``CampaignRunner`` (``runner.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from engine.dialer.campaigns import dial_store
from engine.dialer.core import campaign as decide
from engine.dialer.core.compliance import ring_timeout
from engine.errors import Conflict

if TYPE_CHECKING:
    from engine.dialer.campaigns.deps import Deps
    from engine.dialer.core.compliance import Policy as CompliancePolicy
    from engine.dialer.core.line import Line
    from engine.dialer.core.policy import CampaignPolicy

SKIP_FOR = 900.0
PUBLIC = (
    "id",
    "number",
    "customer_id",
    "name",
    "timezone",
    "priority",
    "due_at",
    "attempts",
    "last_outcome",
    "status",
    "agent_id",
)


def public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in PUBLIC}


class PreviewMode:
    """Mixed into ``CampaignRunner``; these are the attributes it relies on."""

    id: int
    deps: Deps
    clock: Callable[[], float]
    campaign: dict[str, Any]
    status: str
    policy: CampaignPolicy
    compliance: CompliancePolicy

    if TYPE_CHECKING:

        async def callable_contacts(self, n: int, now: float) -> list[dict[str, Any]]: ...

        def line_id(self, row: dict[str, Any]) -> str: ...

        async def claim(self, number: str, line_id: str, since: float) -> bool: ...

        async def dial(
            self, row: dict[str, Any], agent_id: str | None, now: float, line_id: str | None = None
        ) -> Line: ...

    # -- preview -------------------------------------------------------------------------
    def _require_preview(self) -> None:
        if self.campaign["mode"] != "preview":
            raise Conflict(
                f"campaign {self.id} is not a preview campaign",
                campaign_id=self.id,
                mode=self.campaign["mode"],
            )
        if self.status != "running":
            raise Conflict(f"campaign {self.id} is {self.status}", campaign_id=self.id)

    async def preview_next(self, agent_id: str) -> dict[str, Any] | None:
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

    async def preview_skip(self, contact_id: int, agent_id: str) -> dict[str, Any]:
        row = await self._previewed(contact_id, agent_id)
        now = self.clock()
        await self.deps.db.run(
            dial_store.set_status, contact_id, "pending", now, now + SKIP_FOR, None, None
        )
        return {**public(row), "status": "pending", "next_at": now + SKIP_FOR}

    async def preview_accept(self, contact_id: int, agent_id: str) -> dict[str, Any]:
        row = await self._previewed(contact_id, agent_id)
        now = self.clock()
        decision, (status, next_at) = decide.preview_check(
            row, now, self.policy.timezone, self.compliance
        )
        if not decision.allowed:
            await self.deps.db.run(
                dial_store.set_status, contact_id, status, now, next_at, decision.reason
            )
            raise Conflict(
                f"contact {contact_id} may not be called now: {decision.reason}",
                contact_id=contact_id,
                reason=decision.reason,
            )
        ring = ring_timeout(self.compliance, self.policy.ring_seconds)
        line_id = self.line_id(row)
        if not await self.claim(row["number"], line_id, now):
            raise Conflict(
                f"contact {contact_id} is being called from another engine",
                contact_id=contact_id,
                reason="claimed-elsewhere",
            )
        reserved = await self.deps.reservations.reserve_agent(
            agent_id, line_id, now, ring + 60.0, self.deps.router.instance, self.campaign["queue"]
        )
        if reserved is None:
            if self.deps.claims is not None:
                await self.deps.claims.release(row["number"], line_id)
            raise Conflict(f"agent {agent_id} is not available", agent_id=agent_id)
        line = await self.dial({**row, "ring_timeout": ring}, agent_id, now, line_id)
        return {**public(row), "status": "dialing", "line": line.id}

    async def _previewed(self, contact_id: int, agent_id: str) -> dict[str, Any]:
        self._require_preview()
        row = await self.deps.db.run(dial_store.contact, self.id, contact_id)
        if row["status"] != "previewing" or row["agent_id"] != agent_id:
            raise Conflict(
                f"contact {contact_id} is not in agent {agent_id}'s preview",
                contact_id=contact_id,
                status=row["status"],
            )
        return row
