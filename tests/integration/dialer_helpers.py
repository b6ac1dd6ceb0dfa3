"""Helpers for the dialer's integration tests: the HTTP API with the token, calling
windows around now, simulated parties' globals, seeding callbacks, reading contacts and
interventions."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from engine.dialer.simulator.traffic import ContactStream, Traffic
from tests.storedb import insert, query, replace

FAR_ZONE = "Etc/GMT-12"  # UTC+12: always outside a window of +-2 h around UTC now


def window_around_now() -> dict[str, str]:
    """A calling window (in local time) that holds UTC now and never UTC+12."""
    now = datetime.now(UTC)
    start = max(now - timedelta(hours=2), now.replace(hour=0, minute=0))
    end = min(now + timedelta(hours=2), now.replace(hour=23, minute=59))
    return {"start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}


class Api:
    def __init__(self, engine, session: aiohttp.ClientSession) -> None:
        self.base = f"http://{engine.settings.http_host}:{engine.settings.http_port}"
        self.session = session

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        data: str | None = None,
        expect: int = 200,
    ) -> Any:
        kwargs: dict[str, Any] = {"data": data} if data is not None else {"json": body}
        async with self.session.request(method, self.base + path, **kwargs) as resp:
            payload = await resp.json()
            assert resp.status == expect, (resp.status, payload)
            return payload


@contextlib.asynccontextmanager
async def open_api(engine) -> AsyncIterator[Api]:
    """The engine's HTTP API with its bearer token (tests wrap it in an ``api`` fixture)."""
    headers = {"Authorization": f"Bearer {engine.settings.api_token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        yield Api(engine, session)


async def new_campaign(api: Api, name: str, mode: str, csv: str, **policy: Any) -> int:
    """A manual campaign dialling now (calling window around now), ``csv`` imported."""
    campaign = await api.call(
        "POST",
        "/dialer/campaigns",
        {
            "name": name,
            "kind": "manual",
            "mode": mode,
            "policy": {"window": window_around_now(), **policy},
        },
        expect=201,
    )
    await api.call("POST", f"/dialer/campaigns/{campaign['id']}/import", data=csv)
    return int(campaign["id"])


def learn_dials(pacer: Any, n: int) -> None:
    """Feed a predictive pacer ``n`` ended dials drawn from the simulator's traffic (30%
    answered), as a campaign's first minutes would, so it is past its warm-up."""
    stream, start = ContactStream(Traffic(), seed=7), time.time() - 2 * n
    for i in range(n):
        outcome, ring, amd = stream[i].outcome(0.3, 25.0)
        pacer.record_dial(start + 2 * i + ring, ring, outcome, amd if outcome == "live" else None)


async def contacts_of(engine, campaign_id: int) -> dict[str, dict[str, Any]]:
    def read(db):
        return query(db, "SELECT * FROM contacts WHERE campaign_id = ?", campaign_id)

    return {r["number"]: r for r in await engine.db.run(read)}


async def interventions_of(engine, customer_id: str) -> list[tuple[str, str]]:
    def read(db):
        return [
            (r["kind"], r["outcome"])
            for r in query(
                db,
                "SELECT kind, outcome FROM interventions WHERE customer_id = ? ORDER BY id",
                customer_id,
            )
        ]

    return await engine.db.run(read)


def seed_callbacks(db: Any, rows: list[tuple[str, str, str, int]]) -> None:
    """High-risk callbacks due within the hour, as the profile store leaves them, for
    ``(customer_id, number, time zone, contact_opt_out)`` rows (``db.run`` it)."""
    now = time.time()
    for customer, number, zone, opt_out in rows:
        replace(
            db,
            "customers",
            {
                "id": customer,
                "name": f"Customer {customer}",
                "timezone": zone,
                "contact_opt_out": opt_out,
                "created_at": now - 86400 * 400,
            },
        )
        insert(
            db,
            "callbacks",
            {
                "customer_id": customer,
                "number": number,
                "score": 0.9,
                "value": 500.0,
                "priority": 450.0,
                "reason": "high risk",
                "created_at": now,
                "due_at": now + 3600,
                "status": "pending",
                "campaign": "risk-high",
                "updated_at": now,
            },
        )
