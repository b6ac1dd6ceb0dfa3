"""Spend percentile and loyalty flags added to an identified caller, from real SQLite and
PostgreSQL, and routing's VIP tiers on top (the top 5% of spenders are platinum)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from engine.calls.ports import Caller
from engine.profiles.retention.store import StoreReader
from engine.profiles.retention.value_lookup import ValuedLookup
from engine.profiles.value import LoyaltyScheme
from engine.routing.config import load_config
from engine.routing.tiers import TieredLookup
from engine.schemas import MIGRATIONS
from engine.store.database import Database
from tests.storedb import insert

SKILLS = Path(__file__).resolve().parents[4] / "skills"


class Directory:
    async def identify(self, number: str) -> Caller | None:
        return Caller(f"c{number}", name=number) if number != "unknown" else None


@pytest.fixture
async def db(store_target):
    database = await Database(store_target, MIGRATIONS).open()
    rnd = random.Random(4)

    def seed(d):
        insert(
            d,
            "customers",
            [
                {
                    "id": f"c{i}",
                    "name": f"n{i}",
                    "loyalty_level": "platinum"
                    if i == 7
                    else rnd.choice(["basic", "silver", None]),
                    "loyalty_points": 100,
                }
                for i in range(1000)
            ],
        )
        insert(
            d,
            "orders",
            [
                {
                    "id": f"o{i}-{k}",
                    "customer_id": f"c{i}",
                    "amount": float(i),
                    "at": 0.0,
                    "status": "delivered",
                }
                for i in range(1000)
                for k in range(2)
            ]
            + [
                {
                    "id": "refund",
                    "customer_id": "c10",
                    "amount": 1e6,
                    "at": 0.0,
                    "status": "refunded",
                }
            ],
        )

    await database.run(seed)
    yield database
    await database.close()


async def test_top_spenders_get_platinum_and_loyalty_vip_too(db):
    reader = StoreReader(db)
    valued = ValuedLookup(Directory(), db, reader.ranking, LoyaltyScheme)
    config = load_config(SKILLS)
    tiered = TieredLookup(valued, lambda: config)
    top = await tiered.identify("999")
    assert top.value_percentile == 99.9 and top.vip_tier == "platinum"
    edge = await tiered.identify("950")
    assert edge.value_percentile == 95.0 and edge.vip_tier == "platinum"
    below = await tiered.identify("949")
    assert below.value_percentile == 94.9 and below.vip_tier != "platinum"
    refunded = await tiered.identify("10")
    assert refunded.value_percentile == 1.0, "a refunded order does not count"
    member = await tiered.identify("7")
    assert "vip" in member.flags and member.vip_tier == "platinum"
    assert await tiered.identify("unknown") is None


async def test_a_percentile_from_the_lookup_is_kept(db):
    class Given:
        async def identify(self, number):
            return Caller("c999", value_percentile=12.0)

    reader = StoreReader(db)
    caller = await ValuedLookup(Given(), db, reader.ranking, LoyaltyScheme).identify("x")
    assert caller.value_percentile == 12.0


async def test_customer_missing_from_the_store_goes_on_unchanged(db):
    class Stranger:
        async def identify(self, number):
            return Caller("nobody", name="N")

    reader = StoreReader(db)
    caller = await ValuedLookup(Stranger(), db, reader.ranking, LoyaltyScheme).identify("x")
    assert caller == Caller("nobody", name="N")
