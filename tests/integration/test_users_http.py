"""Logins, roles, CSRF, client tokens and refusal pages against the real engine (issue 14
item 1): real sandbox Asterisk, Redis and SQLite; plain HTTP, no browser."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from engine.users import store
from engine.users.policy import token_digest
from engine.users.service import user_row

pytestmark = pytest.mark.integration


@pytest.fixture
async def engine(engine_factory, tmp_path):
    """An engine with a database of its own: the users below exist in this test only."""
    return await engine_factory(database_path=str(tmp_path / "engine.db"))


PASSWORD = "correct horse battery"


def _url(engine, path: str) -> str:  # type: ignore[no-untyped-def]
    return f"http://{engine.settings.http_host}:{engine.settings.http_port}{path}"


async def add_user(engine, name: str, role: str, agent_id: str | None = None) -> None:  # type: ignore[no-untyped-def]
    await engine.db.run(store.add_user, user_row(name, role, agent_id, "en", PASSWORD, time.time()))


async def login(http: aiohttp.ClientSession, engine, name: str) -> str:  # type: ignore[no-untyped-def]
    async with http.post(_url(engine, "/login"), json={"name": name, "password": PASSWORD}) as resp:
        assert resp.status == 200, await resp.text()
        return str((await resp.json())["csrf"])


async def test_agent_sees_own_desk_only_and_writes_need_csrf(engine):
    await add_user(engine, "li", "agent", "2003")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        csrf = await login(http, engine, "li")
        cookie = next(c for c in http.cookie_jar if c.key == "tenure_session")
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
        async with http.get(_url(engine, "/me")) as resp:
            assert (await resp.json())["agent_id"] == "2003"
        async with http.get(_url(engine, "/agents/2003/desk")) as resp:
            assert resp.status == 200
        for path in ("/agents/2001/desk", "/wallboard", "/calls", "/desk?agent=2001"):
            async with http.get(_url(engine, path)) as resp:
                assert resp.status == 403, path
                assert (await resp.json())["error_id"] == "forbidden"
        async with http.get(_url(engine, "/wallboard"), headers={"Accept": "text/html"}) as resp:
            assert resp.status == 403 and resp.content_type == "text/html"
            page = await resp.text()
            assert "Forbidden" in page and "Traceback" not in page
        # a write without the CSRF token is refused and changes nothing
        async with http.post(_url(engine, "/agents/2003/pause"), json={"reason": "break"}) as resp:
            assert resp.status == 403 and (await resp.json())["error_id"] == "csrf"
        assert (await engine.router.store.agent("2003"))["state"] == "available"
        async with http.post(
            _url(engine, "/agents/2003/pause"),
            json={"reason": "break"},
            headers={"X-CSRF-Token": csrf},
        ) as resp:
            assert resp.status == 200, await resp.text()
        async with http.post(_url(engine, "/logout"), headers={"X-CSRF-Token": csrf}) as resp:
            assert resp.status == 200
        async with http.get(_url(engine, "/agents/2003/desk")) as resp:
            assert resp.status == 401


async def test_browser_without_session_gets_the_login_page(engine):
    async with aiohttp.ClientSession() as http:
        async with http.get(_url(engine, "/desk"), headers={"Accept": "text/html"}) as resp:
            assert resp.status == 401 and resp.content_type == "text/html"
            assert 'action="/login"' in await resp.text()
        async with http.get(_url(engine, "/desk")) as resp:
            assert resp.status == 401 and (await resp.json())["error_id"] == "unauthorized"
        async with http.get(_url(engine, "/static/tenure.js")) as resp:
            assert resp.status == 200 and "EventSource" in await resp.text()


async def test_wrong_passwords_are_limited(engine):
    await add_user(engine, "wang", "supervisor")
    async with aiohttp.ClientSession() as http:
        statuses = []
        for _ in range(7):
            async with http.post(
                _url(engine, "/login"), json={"name": "wang", "password": "wrong-password"}
            ) as resp:
                statuses.append(resp.status)
                retry = resp.headers.get("Retry-After")
        assert statuses[:5] == [401] * 5
        assert statuses[-1] == 429 and retry is not None
        # while blocked, even the right password waits
        async with http.post(
            _url(engine, "/login"), json={"name": "wang", "password": PASSWORD}
        ) as resp:
            assert resp.status == 429


async def test_client_tokens_are_revocable_and_the_settings_token_still_works(engine):
    await engine.db.run(store.add_token, "crm", token_digest("crm-secret-token"), time.time())
    async with aiohttp.ClientSession() as http:
        for token in (engine.settings.api_token, "crm-secret-token"):
            async with http.get(
                _url(engine, "/queues"), headers={"Authorization": f"Bearer {token}"}
            ) as resp:
                assert resp.status == 200
        await engine.db.run(store.revoke_token, "crm", time.time())
        async with http.get(
            _url(engine, "/queues"), headers={"Authorization": "Bearer crm-secret-token"}
        ) as resp:
            assert resp.status == 401


async def test_an_expired_session_is_a_clear_401(engine_factory, tmp_path):
    engine = await engine_factory(
        database_path=str(tmp_path / "engine.db"), session_hours=1.0 / 3600
    )
    await add_user(engine, "li", "agent", "2003")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await login(http, engine, "li")
        cookie = next(c for c in http.cookie_jar if c.key == "tenure_session").value
        async with http.get(_url(engine, "/me")) as resp:
            assert resp.status == 200
        await asyncio.sleep(1.5)
        # a browser whose cookie outlived the session in the engine (sent by hand)
        headers = {"Accept": "text/html", "Cookie": f"tenure_session={cookie}"}
        async with (
            aiohttp.ClientSession() as fresh,
            fresh.get(_url(engine, "/desk"), headers=headers) as resp,
        ):
            assert resp.status == 401
            page = await resp.text()
            assert "Please log in" in page and 'name="password"' in page
