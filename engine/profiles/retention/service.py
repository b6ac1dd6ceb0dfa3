"""The retention side of the profiles domain in one place for the composition root: the
rule files (offers, care rules, next best action; hot-reloaded, last good kept), the A/B
arm of every customer, proactive care and the screen pop.

The profile store's ingest calls ``on_event`` for every stored event (proactive care);
its outreach calls ``arm(customer_id)`` and contacts only the ``treatment`` arm.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis

from engine.calls.ports import CallerLookup
from engine.logs import get_logger
from engine.profiles.care import rules as care
from engine.profiles.care.service import CareService
from engine.profiles.retention import ab, nba, offers
from engine.profiles.retention.lifecycle import stage_of
from engine.profiles.retention.screen_feed import ScreenPops
from engine.profiles.retention.screenpop import Rules
from engine.profiles.retention.store import StoreReader
from engine.profiles.retention.value_lookup import ValuedLookup
from engine.profiles.ruleset import LiveRules
from engine.profiles.value import LoyaltyScheme, lifetime_value, loyalty_flags
from engine.settings import Settings, SettingsError
from engine.store.database import Database

log = get_logger(__name__)
FILES = ("offers.yaml", "care-rules.yaml", "next-best-action.yaml")


class Retention:
    def __init__(self, settings: Settings, db: Database, redis: aioredis.Redis) -> None:
        if not 0.0 <= settings.ab_control_share <= 1.0:
            raise SettingsError(
                f"ab_control_share must be between 0 and 1, got {settings.ab_control_share}"
            )
        skills = settings.skills_path
        self.settings = settings
        self.db = db
        self.offer_rules = LiveRules(
            skills / "offers.yaml", offers.SCHEMA, offers.build, missing=offers.OfferRules(())
        )
        self.care_rules = LiveRules(
            skills / "care-rules.yaml", care.SCHEMA, care.build, missing=care.CareRules(())
        )
        self.nba_rules = LiveRules(
            skills / "next-best-action.yaml", nba.SCHEMA, nba.build, missing=nba.NO_NBA
        )
        # the engine's one reload path (``engine.skills.live``); None: these files alone
        self.reloader: Callable[[], Awaitable[bool]] | None = None
        self.reader = StoreReader(db)
        self.care = CareService(
            db,
            redis,
            settings.redis_prefix,
            lambda: self.care_rules.current,
            settings.care_webhook_url,
            self.arm,
        )
        self.screens = ScreenPops(redis, settings.redis_prefix, self.reader, self.rules)

    def valued(self, lookup: CallerLookup, read: Callable[..., Any] | None = None) -> ValuedLookup:
        """``lookup`` with spend percentile and loyalty flags filled in for routing;
        ``read`` reads beside the writer (``StoreLookup.read``)."""
        return ValuedLookup(lookup, self.db, self.reader.ranking, lambda: self.loyalty, read)

    def rules(self) -> Rules:
        return Rules(self.nba_rules.current, self.offer_rules.current)

    def arm(self, customer_id: str) -> ab.Arm:
        """``treatment`` (contact) or ``control`` (record only) for this customer."""
        return ab.arm(
            customer_id, self.settings.ab_experiment, 1.0 - self.settings.ab_control_share
        )

    async def on_event(self, event: dict[str, Any]) -> None:
        """Hook for the profile store's ingest: one stored event (proactive care)."""
        try:
            await self.care.on_event(event)
        except Exception:
            log.exception("care.event_failed", event_id=event.get("id"))

    async def reload(self) -> dict[str, list[str]]:
        """Re-read the rule files now: through the engine's one reload path when it is
        wired (every rule file), else these three. Errors per file (empty: live)."""
        if self.reloader is not None:
            await self.reloader()
        else:
            for live in (self.offer_rules, self.care_rules, self.nba_rules):
                live.reload()
        return self.errors()

    def errors(self) -> dict[str, list[str]]:
        return {
            live.path.name: live.errors
            for live in (self.offer_rules, self.care_rules, self.nba_rules)
        }

    @property
    def loyalty(self) -> LoyaltyScheme:
        return self.offer_rules.current.loyalty

    async def value_view(self, customer_id: str) -> dict[str, Any] | None:
        """Value, lifecycle and offers of one customer (``GET /profiles/customers/{id}/value``)."""
        now = time.time()
        view = await self.reader.view(customer_id, now)
        if view is None:
            return None
        ranking = await self.reader.ranking()
        ltv = lifetime_value(view.orders)
        life = stage_of(view.orders, view.first_seen or now, now)
        rules = self.offer_rules.current
        facts = offers.Facts(
            products=offers.products_of(view.orders),
            stage=life.stage,
            percentile=ranking.percentile(ltv),
            loyalty_level=view.loyalty.level,
            loyalty_points=view.loyalty.points,
        )
        return {
            "customer_id": customer_id,
            "lifetime_value": ltv,
            "value_percentile": facts.percentile,
            "loyalty": {"level": view.loyalty.level, "points": view.loyalty.points},
            "flags": sorted(loyalty_flags(view.loyalty, rules.loyalty)),
            "stage": life.stage,
            "strategy": life.strategy,
            "recent_spend": life.recent_spend,
            "previous_spend": life.previous_spend,
            "offers": [s.__dict__ for s in offers.suggest(rules, facts)],
            "arm": self.arm(customer_id),
        }
