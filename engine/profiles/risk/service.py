"""Real-time churn risk for the composition root: the tag rules (``skills/risk-tags.yaml``,
hot-reloaded, last good kept), the model (learned file at ``risk_model_path``, else the
YAML weights), the profile store listener that re-scores every customer a stored batch
touches at once, the periodic sweep (tags that time alone makes true), and the outreach
webhook sender.

A tier change is published on Redis ``<prefix>:events:risk`` as JSON:
``{"customer_id", "old_tier", "new_tier", "score", "reasons", "model", "at",
"outreach": {"kind", "outcome"} | null}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio as aioredis

from engine.logs import get_logger
from engine.profiles.risk import config as risk_config
from engine.profiles.risk import score as risk_model
from engine.profiles.risk import store as risk_store
from engine.profiles.risk.outreach_sender import WebhookSender
from engine.profiles.risk.score import Model
from engine.profiles.risk.store import Change, Policy
from engine.settings import Settings, SettingsError
from engine.store.database import Database

log = get_logger(__name__)
POLL = 5.0  # seconds between looks for due webhooks
SWEEP_CHUNK = 1000  # customers per transaction in the sweep


def model_path(settings: Settings) -> Path:
    """``risk_model_path``, or ``risk-model.json`` next to the database."""
    if settings.risk_model_path:
        return Path(settings.risk_model_path)
    return Path(settings.database_path).with_name("risk-model.json")


def customer_of(event: Any) -> str | None:
    """The customer ID of a stored event (``Event`` or an envelope dict)."""
    cid = (
        event.get("customer_id")
        if isinstance(event, Mapping)
        else getattr(event, "customer_id", None)
    )
    return str(cid) if cid else None


class RiskService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        redis: aioredis.Redis | None,
        arm_of: Callable[[str], str],
        clock: Callable[[], float] = time.time,
        poll: float = POLL,
    ) -> None:
        self.settings = settings
        self.db = db
        self.redis = redis
        self.arm_of = arm_of
        self.clock = clock
        self.poll = poll
        self.rules = risk_config.live(settings.skills_path / "risk-tags.yaml")
        self.model_file = model_path(settings)
        try:
            self.trained: Model | None = risk_model.load(self.model_file)
        except risk_model.ModelError as exc:
            raise SettingsError(str(exc)) from None
        self.model_error = ""
        self.sender = WebhookSender(db, settings.outreach_webhook_url, clock)
        self._wake = asyncio.Event()
        self.rescored = 0

    @property
    def model(self) -> Model:
        return self.trained or risk_model.default_model(self.rules.current)

    def policy(self) -> Policy:
        return Policy(self.rules.current, self.model, self.arm_of, self.settings.callback_due_hours)

    def reload(self) -> dict[str, list[str]]:
        """Re-read the tag file and the model file; a broken one is refused (logged) and
        the last good one stays."""
        self.rules.reload()
        try:
            self.trained = risk_model.load(self.model_file)
            self.model_error = ""
        except risk_model.ModelError as exc:
            self.model_error = str(exc)
            log.error("risk.model_reload_refused", error=str(exc))
        return {
            self.rules.path.name: self.rules.errors,
            self.model_file.name: [self.model_error] if self.model_error else [],
        }

    # -- real time --------------------------------------------------------------------
    async def on_batch(self, events: Iterable[Any]) -> list[Change]:
        """ProfileStore listener: re-score every customer the batch touched, at once."""
        ids = [cid for cid in (customer_of(e) for e in events) if cid]
        return await self.rescore(ids)

    async def rescore(self, customer_ids: Iterable[str]) -> list[Change]:
        ids = list(dict.fromkeys(customer_ids))
        if not ids:
            return []
        changes = await self.db.run(risk_store.rescore, ids, self.policy(), self.clock())
        self.rescored += len(ids)
        if any(c.decision is not None and c.decision.webhook is not None for c in changes):
            self._wake.set()
        await self._publish(changes)
        return changes

    async def _publish(self, changes: list[Change]) -> None:
        if self.redis is None or not changes:
            return
        channel = f"{self.settings.redis_prefix}:events:risk"
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for c in changes:
                    d = c.decision
                    pipe.publish(
                        channel,
                        orjson.dumps(
                            {
                                "customer_id": c.customer_id,
                                "old_tier": c.old_tier,
                                "new_tier": c.score.tier,
                                "score": c.score.score,
                                "reasons": c.score.reasons_json()[:3],
                                "model": c.score.model,
                                "at": self.clock(),
                                "outreach": {"kind": d.kind, "outcome": d.outcome} if d else None,
                            }
                        ),
                    )
                await pipe.execute()
        except Exception as exc:
            log.warning("risk.publish_failed", error=str(exc))

    async def sweep(self, unscored_only: bool = False) -> int:
        """Re-score every customer (or those never scored), ``SWEEP_CHUNK`` per
        transaction; returns how many."""
        after, total = "", 0
        while True:
            ids = await self.db.run(risk_store.customer_ids, after, SWEEP_CHUNK, unscored_only)
            if not ids:
                return total
            await self.rescore(ids)
            total += len(ids)
            after = ids[-1]

    async def run(self) -> None:
        """Until cancelled: deliver webhooks (woken by new ones, else every poll); score
        the customers never scored (an import) at start, and sweep every
        ``risk_sweep_hours``."""
        await asyncio.gather(self._deliver_loop(), self._sweep_loop())

    async def _deliver_loop(self) -> None:
        while True:
            try:
                await self.sender.deliver_due()
            except Exception as exc:
                log.warning("risk.delivery_loop_error", error=repr(exc))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)

    async def _sweep_loop(self) -> None:
        every = self.settings.risk_sweep_hours * 3600.0
        unscored_only = True
        while every > 0:
            try:
                await self.sweep(unscored_only)
            except Exception as exc:
                log.warning("risk.sweep_error", error=repr(exc))
            await asyncio.sleep(every)
            unscored_only = False

    async def close(self) -> None:
        await self.sender.close()
