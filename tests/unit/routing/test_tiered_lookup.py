"""The caller's VIP tier is decided once, by routing's rules, and carried on the Caller."""

from pathlib import Path

from engine.calls.ports import Caller
from engine.routing.config import load_config
from engine.routing.tiers import TieredLookup

CONFIG = load_config(Path(__file__).resolve().parents[3] / "skills")


class Fixed:
    def __init__(self, caller):
        self.caller = caller

    async def identify(self, number):
        return self.caller


async def tier_of(caller):
    found = await TieredLookup(Fixed(caller), lambda: CONFIG).identify("1")
    return found.vip_tier if found else None


async def test_top_five_percent_is_platinum():
    assert await tier_of(Caller("c", value_percentile=97.0)) == "platinum"


async def test_explicit_vip_flag_is_platinum():
    assert await tier_of(Caller("c", flags=frozenset({"vip"}))) == "platinum"


async def test_ordinary_caller_has_no_tier_and_unknown_caller_stays_unknown():
    assert await tier_of(Caller("c", value_percentile=50.0)) is None
    assert await tier_of(None) is None


async def test_a_tier_the_profile_already_names_is_kept():
    assert await tier_of(Caller("c", vip_tier="gold", value_percentile=99.0)) == "gold"
