"""Seeded synthetic customers for tests, benchmarks and demos. Pure: ``customer(i, seed,
end, days)`` gives one customer's events (envelopes, oldest first) and churn label.

Each customer has an archetype that shapes what they do in the observed window of
``days`` ending at ``end``, after the seed documents' examples:

- ``loyal``: steady orders, logins, good ratings, inquiries that get resolved.
- ``drifting``: order value falls 30% or more and contacts thin out; then silent for
  30+ days before the end.
- ``complainer``: an unresolved complaint, repeated inquiries on one topic, three low
  ratings in a row, complaint words on calls.
- ``ticket-heavy``: three or more unresolved tickets.
- ``dormant-after-inquiry``: an inquiry, then no login for 7+ days (until the end).
- ``price-hunter``: promotion pages viewed again and again, small discounted orders.
- ``new``: joined in the last 60 days.

Spend per order is log-normal per customer (heavy-tailed: the top 5% matter). About 3%
opt out of prediction. Some inquiries move from chat to the phone with the same
``conversation_id``; some phone contacts name the caller's number instead of the
customer ID. Churn (within 60 days after ``end``) is drawn from a probability tied to
the archetype with personal noise, so a model can learn it but not perfectly; a churned
customer also gets a ``customer.churned`` event dated after the window.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from engine.sim.customers.words import (
    CHURN_REASONS,
    PRODUCTS,
    TOPICS,
    complaint_words,
    message,
    name_of,
)

DAY = 86400.0
# name -> (share of customers, base churn probability within 60 days)
ARCHETYPES: dict[str, tuple[float, float]] = {
    "loyal": (0.45, 0.04),
    "new": (0.12, 0.15),
    "price-hunter": (0.12, 0.22),
    "drifting": (0.10, 0.55),
    "complainer": (0.08, 0.45),
    "ticket-heavy": (0.06, 0.40),
    "dormant-after-inquiry": (0.07, 0.35),
}
OPT_OUT_SHARE = 0.03
MOBILE_SPACE = 5 * 10**9  # 1[35789]xxxxxxxxx: unique per customer index
_A, _LAND = 387_420_489, 10**8  # multiplier coprime with 10: a bijection


def phone_of(i: int, seed: int) -> str:
    """The customer's mobile number (+86), unique for every index below 5e9."""
    y = (i * _A + seed * 7919) % MOBILE_SPACE
    return f"+861{'35789'[y // 10**9]}{y % 10**9:09d}"


def landline_of(i: int, seed: int) -> str:
    area = ("10", "21", "20", "755")[i % 4]
    return f"0{area}{(i * _A + seed) % _LAND:08d}"


def customer_id_of(i: int) -> str:
    return f"C{i:07d}"


def archetype_of(rng: random.Random) -> str:
    x, total = rng.random(), 0.0
    for name, (share, _) in ARCHETYPES.items():
        total += share
        if x < total:
            return name
    return "loyal"


@dataclass(frozen=True)
class Label:
    customer_id: str
    archetype: str
    churned: bool
    churned_at: float | None
    opted_out: bool


class _Life:
    """Collects one customer's events."""

    def __init__(self, i: int, seed: int, rng: random.Random) -> None:
        self.cid, self.rng, self.prefix = customer_id_of(i), rng, f"s{seed}-{customer_id_of(i)}"
        self.events: list[dict[str, Any]] = []
        self.phone = phone_of(i, seed)

    def add(
        self,
        kind: str,
        at: float,
        data: dict[str, Any],
        source: str = "crm",
        by_phone: bool = False,
    ) -> None:
        event: dict[str, Any] = {
            "id": f"{self.prefix}-{len(self.events)}",
            "type": kind,
            "customer_id": self.cid,
            "at": round(at, 3),
            "source": source,
            "data": data,
        }
        if by_phone:  # identified by the caller's number only
            del event["customer_id"]
            data["phone"] = self.phone
        self.events.append(event)


def _profile(life: _Life, i: int, seed: int, created: float, aov: float) -> None:
    rng = life.rng
    lang = "zh" if rng.random() < 0.88 else "en"
    shown = rng.choice(
        [
            life.phone,
            life.phone[3:],
            "+86 " + life.phone[3:6] + " " + life.phone[6:10] + " " + life.phone[10:],
            "0086-" + life.phone[3:],
        ]
    )
    data: dict[str, Any] = {
        "name": name_of(rng, lang),
        "language": lang,
        "timezone": "Asia/Shanghai"
        if lang == "zh"
        else rng.choice(["Asia/Hong_Kong", "America/Los_Angeles", "Europe/London"]),
        "preferred_style": rng.choice(["brief", "detailed", "friendly", "formal"]),
        "plan": rng.choices(["basic-plan", "advanced-plan", "enterprise"], [6, 3, 1])[0],
        "loyalty_level": (
            "platinum" if aov > 600 else "gold" if aov > 250 else "silver" if aov > 100 else "basic"
        ),
        "loyalty_points": int(aov * rng.uniform(2, 40)),
        "created_at": round(created, 3),
        "phones": [shown],
        "emails": [f"user{i}.s{seed}@example.{rng.choice(['cn', 'com'])}"],
    }
    if rng.random() < 0.1:
        data["phones"].append(landline_of(i, seed))
    if rng.random() < 0.6:
        data["chat_ids"] = [f"wx-{seed}-{i}"]
    if rng.random() < 0.3:
        data["messaging_ids"] = [f"tg-{seed}-{i}"]
    life.add("customer.updated", created, data)


def _orders(
    life: _Life, start: float, stop: float, aov: float, every: float, factor: float = 1.0
) -> None:
    rng = life.rng
    at = start + rng.uniform(0, every)
    while at < stop:
        oid = f"{life.prefix}-o{len(life.events)}"
        amount = round(aov * factor * rng.lognormvariate(0, 0.3), 2)
        life.add(
            "order.placed",
            at,
            {"order_id": oid, "amount": amount, "product": rng.choice(PRODUCTS)},
            "shop",
        )
        if rng.random() < 0.04:
            life.add(
                "delivery.delayed",
                at + DAY * rng.uniform(1, 3),
                {
                    "order_id": oid,
                    "delay_hours": rng.randint(2, 72),
                    "status_url": f"https://track.example/{oid}",
                },
                "shop",
            )
        if rng.random() < 0.03:
            life.add("order.refunded", at + DAY * rng.uniform(3, 10), {"order_id": oid}, "shop")
        at += every * rng.uniform(0.6, 1.4)


def _logins(life: _Life, start: float, stop: float, every: float) -> None:
    at = start + life.rng.uniform(0, every)
    while at < stop:
        life.add("login", at, {"channel": life.rng.choice(["app", "web"])}, "app")
        at += every * life.rng.uniform(0.5, 1.5)


def _ratings(life: _Life, ats: list[float], low: bool) -> None:
    for at in ats:
        stars = life.rng.choice([1, 2, 3]) if low else life.rng.choice([3, 4, 4, 5, 5, 5])
        life.add("rating", at, {"stars": stars, "channel": life.rng.choice(["phone", "chat"])})


def _conversation(
    life: _Life,
    at: float,
    topic: str,
    resolved: bool,
    kind: str = "inquiry",
    to_phone: float = 0.25,
) -> None:
    """An inquiry in chat or email; sometimes it continues on the phone, same ID."""
    rng = life.rng
    cid = f"{life.prefix}-k{len(life.events)}"
    channel = rng.choice(["chat", "chat", "email", "messaging"])
    life.add(
        kind,
        at,
        {
            "channel": channel,
            "conversation_id": cid,
            "direction": "in",
            "topic": topic,
            "content": message(rng, topic),
            "status": "open",
        },
        "chat",
    )
    if rng.random() < to_phone:
        at += rng.uniform(600, 6 * 3600)
        life.add(
            "interaction",
            at,
            {
                "channel": "phone",
                "conversation_id": cid,
                "direction": "in",
                "topic": topic,
                "content": message(rng, topic),
                "status": "open",
            },
            "calls",
            by_phone=rng.random() < 0.3,
        )
    if resolved:
        life.add(
            "interaction",
            at + rng.uniform(1800, 2 * DAY),
            {
                "channel": channel,
                "conversation_id": cid,
                "direction": "out",
                "topic": topic,
                "content": "已为您处理完毕 / resolved",
                "status": "resolved",
            },
            "chat",
        )


def _some(rng: random.Random, low: float, high: float, k: int) -> list[float]:
    return sorted(rng.uniform(low, high) for _ in range(k))


def _loyal(life: _Life, begin: float, end: float, aov: float, every: float) -> None:
    rng = life.rng
    _orders(life, begin, end, aov, every)
    _logins(life, begin, end, rng.uniform(10, 20) * DAY)
    _ratings(life, _some(rng, begin, end, rng.randint(0, 3)), low=False)
    for at in _some(rng, begin, end - 2 * DAY, rng.randint(0, 2)):
        _conversation(life, at, rng.choice(TOPICS), resolved=True)
    if rng.random() < 0.15:
        _tickets(life, [rng.uniform(begin, end - 5 * DAY)], resolved=True)
    if rng.random() < 0.05:  # noise: even loyal ones have an open ticket
        _tickets(life, [rng.uniform(end - 30 * DAY, end)], resolved=False)


def _new(life: _Life, begin: float, end: float, aov: float, every: float) -> None:
    rng = life.rng
    _orders(life, begin, end, aov, min(every, (end - begin) / 2))
    _logins(life, begin, end, rng.uniform(5, 12) * DAY)
    if rng.random() < 0.5:
        _conversation(life, rng.uniform(begin, end), "account", resolved=rng.random() < 0.7)


def _drifting(life: _Life, begin: float, end: float, aov: float, every: float) -> None:
    rng = life.rng
    silent = end - rng.uniform(32, 60) * DAY
    mid = begin + (silent - begin) * 0.5
    every = min(every, 20 * DAY)
    _orders(life, begin, mid, aov, every)
    _orders(life, mid, silent, aov, every * 1.6, factor=rng.uniform(0.35, 0.65))
    _logins(life, begin, mid, rng.uniform(8, 14) * DAY)
    _logins(life, mid, silent, rng.uniform(20, 30) * DAY)
    if rng.random() < 0.5:
        _conversation(life, rng.uniform(begin, mid), rng.choice(TOPICS), resolved=True)


def _complainer(life: _Life, begin: float, end: float, aov: float, every: float) -> None:
    rng = life.rng
    topic = rng.choice(TOPICS)
    first = max(begin, end - rng.uniform(14, 50) * DAY)
    _orders(life, begin, end, aov, every)
    _logins(life, begin, end, rng.uniform(10, 18) * DAY)
    life.add(
        "ticket.opened",
        first,
        {
            "ticket_id": f"{life.prefix}-t{len(life.events)}",
            "kind": "complaint",
            "topic": topic,
            "subject": message(rng, topic),
        },
        "crm",
    )
    for at in _some(rng, first, min(end, first + 14 * DAY), rng.randint(2, 4)):
        _conversation(life, at, topic, resolved=False, to_phone=0.5)
    _ratings(life, _some(rng, first, end, 3), low=True)
    if rng.random() < 0.6:
        at = rng.uniform(first, end)
        call = f"{life.prefix}-call{len(life.events)}"
        life.add(
            "call.transcript",
            at,
            {"call_id": call, "text": message(rng, topic), "complaint_words": complaint_words(rng)},
            "speech",
        )
        score = round(rng.uniform(0.6, 0.95), 2)
        life.add(
            "call.emotion", at + 1, {"call_id": call, "score": score, "label": "angry"}, "speech"
        )


def _ticket_heavy(life: _Life, begin: float, end: float, aov: float, every: float) -> None:
    rng = life.rng
    _orders(life, begin, end, aov, every)
    _logins(life, begin, end, rng.uniform(10, 18) * DAY)
    _tickets(life, _some(rng, max(begin, end - 90 * DAY), end, rng.randint(3, 5)), resolved=False)
    _tickets(life, _some(rng, begin, end - 10 * DAY, rng.randint(0, 2)), resolved=True)


def _dormant(life: _Life, begin: float, end: float, aov: float, every: float) -> None:
    rng = life.rng
    asked = max(begin, end - rng.uniform(8, 30) * DAY)
    _orders(life, begin, asked - DAY, aov, every)
    _logins(life, begin, asked - DAY, rng.uniform(6, 12) * DAY)
    _conversation(life, asked, rng.choice(TOPICS), resolved=False, to_phone=0.1)


def _price_hunter(life: _Life, begin: float, end: float, aov: float, every: float) -> None:
    rng = life.rng
    _orders(life, begin, end, aov * 0.5, every * 1.3)
    _logins(life, begin, end, rng.uniform(5, 10) * DAY)
    for burst in _some(rng, begin, end - 7 * DAY, rng.randint(1, 3)):
        page = f"promo-{rng.randint(1, 40)}"
        for at in _some(rng, burst, burst + 7 * DAY, rng.randint(2, 5)):
            life.add("page.viewed", at, {"page_id": page, "page_kind": "promotion"}, "shop")


def _tickets(life: _Life, ats: list[float], resolved: bool) -> None:
    rng = life.rng
    for at in ats:
        tid = f"{life.prefix}-t{len(life.events)}"
        topic = rng.choice(TOPICS)
        life.add(
            "ticket.opened",
            at,
            {"ticket_id": tid, "kind": "ticket", "topic": topic, "subject": message(rng, topic)},
        )
        if resolved:
            life.add("ticket.resolved", at + rng.uniform(0.1, 4) * DAY, {"ticket_id": tid})


BEHAVIOURS = {
    "loyal": _loyal,
    "new": _new,
    "drifting": _drifting,
    "complainer": _complainer,
    "ticket-heavy": _ticket_heavy,
    "dormant-after-inquiry": _dormant,
    "price-hunter": _price_hunter,
}


def customer(
    i: int, seed: int, end: float, days: float = 180.0
) -> tuple[list[dict[str, Any]], Label]:
    """Customer ``i``'s events, oldest first, and their churn label."""
    rng = random.Random(seed * 1_000_003 + i)
    kind = archetype_of(rng)
    start = end - days * DAY
    aov = min(rng.lognormvariate(4.7, 0.9), 20000.0)  # median about 110
    every = rng.uniform(12, 45) * DAY
    created = (
        end - rng.uniform(5, 60) * DAY if kind == "new" else start - rng.uniform(30, 3 * 365) * DAY
    )
    life = _Life(i, seed, rng)
    _profile(life, i, seed, created, aov)
    begin = max(start, created)
    BEHAVIOURS[kind](life, begin, end, aov, every)
    opted_out = rng.random() < OPT_OUT_SHARE
    if opted_out:
        life.add(
            "consent.changed",
            rng.uniform(begin, end),
            {"prediction_opt_out": True, "contact_opt_out": rng.random() < 0.5},
        )
    p = ARCHETYPES[kind][1] * rng.lognormvariate(0, 0.35) * (0.75 if aov > 400 else 1.0)
    churned = rng.random() < min(p, 0.95)
    churned_at = round(end + rng.uniform(1, 60) * DAY, 3) if churned else None
    if churned_at is not None:
        life.add("customer.churned", churned_at, {"reason": rng.choice(CHURN_REASONS)})
    life.events.sort(key=lambda e: e["at"])
    return life.events, Label(life.cid, kind, churned, churned_at, opted_out)
