"""Delivers the outreach webhooks the risk policy queued (table ``risk_outreach``) to
``outreach_webhook_url``, in the background so ingest never waits on it: a JSON POST of
the queued body (``kind`` ``outreach`` for a medium-risk message, ``promotion`` for a
low-risk one). A 2xx answer is delivered; anything else is retried with doubling backoff
(``BACKOFF``, 2, 4, 8 s...) and marked failed after ``MAX_ATTEMPTS``. Without a webhook the
decision is marked ``recorded`` and nothing is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import aiohttp

from engine.logs import get_logger
from engine.profiles import risk_store
from engine.store.database import Database

log = get_logger(__name__)
MAX_ATTEMPTS = 5
BACKOFF = 2.0


class WebhookSender:
    def __init__(self, db: Database, url: str, clock: Callable[[], float] = time.time,
                 backoff: float = BACKOFF) -> None:
        self.db = db
        self.url = url
        self.clock = clock
        self.backoff = backoff
        self._session: aiohttp.ClientSession | None = None
        self.delivered = 0
        self.failed = 0

    async def deliver_due(self) -> int:
        """POST every queued body that is due; returns how many were delivered."""
        rows = await self.db.run(risk_store.due, self.clock())
        done = 0
        for row in rows:
            if not self.url:
                await self.db.run(risk_store.mark, row["id"], "recorded", self.clock(),
                                  "no outreach_webhook_url")
                continue
            error = await self._post(row["body"])
            if error is None:
                await self.db.run(risk_store.mark, row["id"], "delivered", self.clock())
                done += 1
            elif row["attempts"] + 1 >= MAX_ATTEMPTS:
                await self.db.run(risk_store.mark, row["id"], "failed", self.clock(), error)
                self.failed += 1
                log.warning("outreach.delivery_failed", customer=row["customer_id"],
                            kind=row["kind"], error=error)
            else:
                later = self.clock() + self.backoff * 2 ** row["attempts"]
                await self.db.run(risk_store.retry_later, row["id"], later, error)
        self.delivered += done
        return done

    async def _post(self, body: str) -> str | None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            async with self._session.post(self.url, data=body.encode(),
                                          headers={"Content-Type": "application/json"}) as r:
                return None if 200 <= r.status < 300 else f"HTTP {r.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return repr(exc)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
