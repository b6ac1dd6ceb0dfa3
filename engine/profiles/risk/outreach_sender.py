"""Delivers the outreach webhooks the risk policy queued (table ``risk_outreach``) to
``outreach_webhook_url``, in the background so ingest never waits on it: a JSON POST of
the queued body (``kind`` ``outreach`` for a medium-risk message, ``promotion`` for a
low-risk one). A 2xx answer is delivered; anything else is retried with doubling backoff
(``webhook.py``) and marked failed after the last attempt. Without a webhook the decision
is marked ``recorded`` and nothing is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from engine.profiles.risk import store as risk_store
from engine.profiles.webhook import BACKOFF, WebhookDelivery
from engine.store.database import Database


class WebhookSender:
    def __init__(
        self,
        db: Database,
        url: str,
        clock: Callable[[], float] = time.time,
        backoff: float = BACKOFF,
    ) -> None:
        self.db = db
        self.clock = clock
        self.webhook = WebhookDelivery(
            db, url, "outreach_webhook_url", risk_store.mark, risk_store.retry_later, clock, backoff
        )

    async def deliver_due(self) -> int:
        """POST every queued body that is due; returns how many were delivered."""
        rows = await self.db.run(risk_store.due, self.clock())
        return await self.webhook.deliver(
            rows, lambda r: r["id"], lambda r: str(r["body"]).encode()
        )

    @property
    def delivered(self) -> int:
        return self.webhook.delivered

    @property
    def failed(self) -> int:
        return self.webhook.failed

    async def close(self) -> None:
        await self.webhook.close()
