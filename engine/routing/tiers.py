"""Give an identified caller the VIP tier routing will treat them with, so the call
record, the agent's desk and supervisors all name the same tier."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from engine.calls.ports import Caller, CallerLookup
from engine.routing.config_types import RoutingConfig
from engine.routing.plan import classify


class TieredLookup:
    def __init__(self, lookup: CallerLookup, config: Callable[[], RoutingConfig]) -> None:
        self.lookup = lookup
        self.config = config

    async def identify(self, caller_number: str) -> Caller | None:
        caller = await self.lookup.identify(caller_number)
        if caller is None or caller.vip_tier:
            return caller
        tier, _ = classify(self.config(), caller)
        return dataclasses.replace(caller, vip_tier=tier.name) if tier else caller
