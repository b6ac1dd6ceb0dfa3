"""Value: lifetime value, spend percentile feeding routing's VIP tiers, loyalty flags."""

from __future__ import annotations

import random
from pathlib import Path

from engine.calls.ports import Caller
from engine.profiles.value import (
    Loyalty,
    LoyaltyScheme,
    Order,
    SpendRanking,
    lifetime_value,
    spend_percentiles,
    value_of,
)
from engine.routing.config import load_config
from engine.routing.plan import classify

SKILLS = Path(__file__).resolve().parents[3] / "skills"
SCHEME = LoyaltyScheme()


def _customers(n: int, seed: int = 7) -> dict[str, list[Order]]:
    rnd = random.Random(seed)
    out = {}
    for i in range(n):
        orders = [
            Order(
                f"o{i}-{k}",
                1.7e9 + k * 86400,
                round(rnd.lognormvariate(5, 1), 2),
                status=rnd.choice(["delivered"] * 9 + ["refunded"]),
            )
            for k in range(rnd.randint(0, 12))
        ]
        out[f"c{i}"] = orders
    return out


def test_lifetime_value_leaves_out_refunded_and_cancelled_orders():
    orders = [
        Order("a", 0, 100.0),
        Order("b", 0, 50.0, status="refunded"),
        Order("c", 0, 30.0, status="cancelled"),
        Order("d", 0, 20.5, status="delayed"),
    ]
    assert lifetime_value(orders) == 120.5


def test_top_five_percent_by_spend_is_platinum_for_routing():
    customers = _customers(4000)
    ltv = {cid: lifetime_value(o) for cid, o in customers.items()}
    pct = spend_percentiles(ltv)
    config = load_config(SKILLS)
    ranked = sorted(ltv, key=ltv.get, reverse=True)
    tiers = {cid: classify(config, Caller(cid, value_percentile=pct[cid]))[0] for cid in ranked}
    platinum = {cid for cid, t in tiers.items() if t is not None and t.name == "platinum"}
    assert platinum == set(ranked[:200]), "exactly the 200 top spenders of 4000"
    assert all(pct[c] >= 95 for c in platinum) and all(pct[c] < 95 for c in ranked[200:])


def test_ties_share_a_rank_and_an_empty_ranking_has_no_percentile():
    ranking = SpendRanking([10, 10, 10, 20])
    assert ranking.percentile(10) == 0.0
    assert ranking.percentile(20) == 75.0
    assert SpendRanking([]).percentile(5) is None


def test_vip_loyalty_level_is_flagged_and_routing_makes_it_platinum():
    ranking = SpendRanking([1, 2, 3, 1000])
    member = value_of([Order("a", 0, 2)], Loyalty("platinum", 12000), ranking, SCHEME)
    assert member.flags == {"vip", "loyalty-platinum"}
    assert member.percentile == 25.0
    tier, _ = classify(
        load_config(SKILLS), Caller("c", value_percentile=member.percentile, flags=member.flags)
    )
    assert tier is not None and tier.name == "platinum"
    gold = value_of([], Loyalty("gold", 10), ranking, SCHEME)
    assert gold.flags == {"loyalty-gold"}
    assert SCHEME.rank("gold") > SCHEME.rank("silver") > SCHEME.rank(None) == 0
