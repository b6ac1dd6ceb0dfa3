"""Live transcripts out: Redis publishes and SQLite rows, batched off the call path.

Recognition results arrive on the event loop many times a second per leg. ``publish``
and ``store`` only queue (O(1)); one task flushes every ``interval``: all queued
messages in one Redis pipeline, all queued finals in one SQLite transaction. A Redis
outage loses live messages (they are a view) but never the stored finals; a full queue
drops the oldest live messages first. ``stop`` flushes what is left.
"""

from __future__ import annotations

import collections
from typing import Any

import orjson
import redis.asyncio as aioredis

from engine.batching import Batcher
from engine.keys import agent_channel
from engine.logs import get_logger
from engine.speech.store import TranscriptStore

log = get_logger(__name__)


class TranscriptFeed(Batcher):
    def __init__(
        self,
        redis: aioredis.Redis,
        prefix: str,
        store: TranscriptStore,
        interval: float = 0.1,
        max_pending: int = 10000,
    ) -> None:
        super().__init__(interval, "transcript-feed")
        self.redis, self.prefix, self.store = redis, prefix, store
        self._messages: collections.deque[tuple[str, bytes]] = collections.deque(maxlen=max_pending)
        self._rows: list[dict[str, Any]] = []
        self.published = 0
        self.stored = 0

    def transcripts_channel(self, call_id: str) -> str:
        return f"{self.prefix}:transcripts:{call_id}"

    @property
    def emotion_channel(self) -> str:
        return f"{self.prefix}:events:emotion"

    def agent_channel(self, agent_id: str) -> str:
        return agent_channel(self.prefix, agent_id)

    def publish(self, channel: str, message: dict[str, Any]) -> None:
        self._messages.append((channel, orjson.dumps(message)))
        self.wake()

    def store_final(self, row: dict[str, Any]) -> None:
        """Queue a final for SQLite; the dict may still be completed (emotion) until the
        next flush, which is never before the current callback returns."""
        self._rows.append(row)
        self.wake()

    async def flush(self) -> None:
        rows, self._rows = self._rows, []
        messages = list(self._messages)
        self._messages.clear()
        if rows:
            try:
                await self.store.add(rows)
                self.stored += len(rows)
            except Exception:
                log.exception("speech.store_failed", rows=len(rows))
        if messages:
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for channel, payload in messages:
                        pipe.publish(channel, payload)
                    await pipe.execute()
                self.published += len(messages)
            except Exception as exc:  # Redis down: live views miss these, calls go on
                log.warning("speech.publish_failed", messages=len(messages), error=str(exc))
