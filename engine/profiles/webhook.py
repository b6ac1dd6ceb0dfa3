"""Webhook delivery shared by proactive care (``care/service.py``) and risk outreach
(``risk/outreach_sender.py``): rows queued in SQLite are POSTed as JSON in the background, so
ingest never waits on a webhook. A 2xx answer is ``delivered``; anything else is retried
with doubling backoff (``BACKOFF``, 2, 4, 8 s...) and ``failed`` after ``MAX_ATTEMPTS``;
without a URL a row is marked ``recorded`` and nothing is sent.

The queue's own functions (run on the Database thread) say how rows are marked:
``mark(db, key, status, now, error="")`` and ``retry_later(db, key, at, error)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import aiohttp

from engine.logs import get_logger
from engine.store.database import Database

log = get_logger(__name__)
MAX_ATTEMPTS = 5
BACKOFF = 2.0  # seconds before the 2nd attempt; doubles each time

Row = Mapping[str, Any]


class WebhookDelivery:
    def __init__(
        self,
        db: Database,
        url: str,
        setting: str,
        mark: Callable[..., Any],
        retry_later: Callable[..., Any],
        clock: Callable[[], float] = time.time,
        backoff: float = BACKOFF,
    ) -> None:
        self.db, self.url, self.setting = db, url, setting
        self.mark, self.retry_later = mark, retry_later
        self.clock, self.backoff = clock, backoff
        self._session: aiohttp.ClientSession | None = None
        self.delivered = 0
        self.failed = 0

    async def deliver(
        self, rows: Iterable[Row], key: Callable[[Row], Any], body: Callable[[Row], bytes]
    ) -> int:
        """POST each row's body; returns how many were delivered."""
        done = 0
        for row in rows:
            k = key(row)
            if not self.url:
                await self.db.run(self.mark, k, "recorded", self.clock(), f"no {self.setting}")
                continue
            error = await self._post(body(row))
            if error is None:
                await self.db.run(self.mark, k, "delivered", self.clock())
                done += 1
            elif row["attempts"] + 1 >= MAX_ATTEMPTS:
                await self.db.run(self.mark, k, "failed", self.clock(), error)
                self.failed += 1
                log.warning(
                    "webhook.delivery_failed",
                    setting=self.setting,
                    customer=row["customer_id"],
                    error=error,
                )
            else:
                later = self.clock() + self.backoff * 2 ** row["attempts"]
                await self.db.run(self.retry_later, k, later, error)
        self.delivered += done
        return done

    async def _post(self, body: bytes) -> str | None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            async with self._session.post(
                self.url, data=body, headers={"Content-Type": "application/json"}
            ) as r:
                return None if 200 <= r.status < 300 else f"HTTP {r.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return repr(exc)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
