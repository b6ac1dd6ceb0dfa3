"""Runs proactive care: every ingested event goes through the care rules (``on_event``,
the hook the profile store's ingest calls); what fires is recorded at once (``store.py``)
and delivered to the care webhook (setting ``care_webhook_url``) in the background, with
retries and backoff, when its time comes (at once, or when the customer's quiet hours
end). Customers in the control arm of the A/B experiment are recorded, never contacted.
Each delivery is a JSON POST:

    {"kind": "care", "customer_id": "...", "rule": "delivery-delay", "cause": "A1",
     "action": "notify", "channel": "sms", "message": "...", "offer": {...}}

A 2xx answer is delivered; anything else is retried, then failed (``webhook.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import redis.asyncio as aioredis

from engine.logs import get_logger
from engine.profiles.care import store as care_store
from engine.profiles.care.rules import CareEvent, CareRules, Decision
from engine.profiles.webhook import BACKOFF, WebhookDelivery
from engine.store.database import Database

log = get_logger(__name__)
POLL = 5.0  # seconds between looks for due deliveries
PRUNE_EVERY = 600.0  # seconds between clean-ups of old watched events
ENVELOPE = frozenset({"id", "event_id", "type", "customer_id", "at", "data"})


def care_event(event: Mapping[str, Any], now: float) -> tuple[str, CareEvent] | None:
    """(customer_id, CareEvent) of an ingested event: fields under ``data`` or at the top."""
    customer_id, kind = event.get("customer_id"), event.get("type")
    if not customer_id or not kind:
        return None
    data = event.get("data")
    fields = (
        dict(data)
        if isinstance(data, Mapping)
        else {k: v for k, v in event.items() if k not in ENVELOPE}
    )
    at = event.get("at")
    return str(customer_id), CareEvent(
        str(kind), float(at) if isinstance(at, int | float) else now, fields
    )


def _body(row: Mapping[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "kind": "care",
            "customer_id": row["customer_id"],
            "rule": row["rule"],
            "cause": row["cause"],
            "action": row["action"],
            "channel": row["channel"],
            "message": row["message"],
            "offer": json.loads(row["offer"] or "{}"),
        }
    )


class CareService:
    def __init__(
        self,
        db: Database,
        redis: aioredis.Redis | None,
        prefix: str,
        rules: Callable[[], CareRules],
        webhook_url: str,
        arm_of: Callable[[str], str],
        clock: Callable[[], float] = time.time,
        backoff: float = BACKOFF,
        poll: float = POLL,
    ) -> None:
        self.db = db
        self.redis = redis
        self.prefix = prefix
        self.rules = rules
        self.arm_of = arm_of
        self.clock = clock
        self.poll = poll
        self._wake = asyncio.Event()
        self.webhook = WebhookDelivery(
            db,
            webhook_url,
            "care_webhook_url",
            care_store.mark,
            care_store.retry_later,
            clock,
            backoff,
        )

    async def on_event(self, event: Mapping[str, Any]) -> list[Decision]:
        """Run the care rules on one ingested event; returns what fired."""
        now = self.clock()
        parsed = care_event(event, now)
        if parsed is None:
            return []
        customer_id, ce = parsed
        rules = self.rules()
        if ce.type not in rules.watched:
            return []
        fired = await self.db.run(
            care_store.fire,
            rules,
            customer_id,
            ce,
            now,
            self.arm_of(customer_id),
            lambda: secrets.token_hex(4).upper(),
        )
        if fired:
            self._wake.set()
            await self._publish(customer_id, fired)
        return fired

    async def _publish(self, customer_id: str, fired: list[Decision]) -> None:
        if self.redis is None:
            return
        try:
            for d in fired:
                await self.redis.publish(
                    f"{self.prefix}:events:care",
                    orjson.dumps(
                        {
                            "customer_id": customer_id,
                            "rule": d.rule,
                            "cause": d.cause,
                            "action": d.action,
                            "status": d.status,
                            "due": d.due,
                        }
                    ),
                )
        except Exception as exc:
            log.warning("care.publish_failed", error=str(exc))

    # -- delivery -----------------------------------------------------------------------
    async def deliver_due(self) -> int:
        """Deliver every decision that is due now; returns how many were delivered."""
        rows = await self.db.run(care_store.due, self.clock())
        return await self.webhook.deliver(
            rows, lambda r: (r["customer_id"], r["rule"], r["cause"]), _body
        )

    @property
    def delivered(self) -> int:
        return self.webhook.delivered

    async def prune(self) -> int:
        """Drop watched events no rule's window reaches any more."""
        window = max((r.within_days for r in self.rules().rules), default=0.0) * 86400.0
        return await self.db.run(care_store.prune, self.clock() - window - 86400.0)

    async def run(self) -> None:
        """Deliver due decisions until cancelled: woken by new firings, else every poll."""
        pruned_at = 0.0
        while True:
            try:
                await self.deliver_due()
                if self.clock() - pruned_at > PRUNE_EVERY:
                    await self.prune()
                    pruned_at = self.clock()
            except Exception as exc:
                log.warning("care.delivery_loop_error", error=repr(exc))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)

    async def close(self) -> None:
        await self.webhook.close()
