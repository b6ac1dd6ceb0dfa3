"""The login form's CSRF token (double submit): the pure check by table, and the form
route end to end in aiohttp (a stand-in for the user store; the real one is exercised by
tests/integration/test_desk_browser.py, which logs in through this form)."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient, TestServer

from engine.api.http import build_app
from engine.users import http as users_http
from engine.users.policy import Principal, login_csrf_ok
from engine.users.service import LoginRefused


@pytest.mark.parametrize(
    ("cookie", "given", "ok"),
    [
        ("abc123", "abc123", True),
        ("abc123", "abc124", False),
        (None, "abc123", False),  # a cross-site post: no cookie
        ("abc123", None, False),
        ("", "", False),
        (None, None, False),
    ],
)
def test_login_csrf_ok(cookie: str | None, given: str | None, ok: bool) -> None:
    assert login_csrf_ok(cookie, given) is ok


class Users:
    session_seconds = 3600.0

    def __init__(self) -> None:
        self.attempts: list[str] = []

    async def login(self, name: str, password: str, address: str) -> tuple[str, Principal]:
        self.attempts.append(name)
        if password != "right":
            raise LoginRefused("wrong user name or password")
        return "session-token", Principal("user", name, "supervisor", user_id=1)


async def _client(users: Users) -> TestClient:
    app = build_app("s3cret", [users_http.routes], auth=users_http.auth_middleware)
    app[users_http.USERS] = users  # type: ignore[assignment]
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


def _token(page: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    assert m, page
    return m.group(1)


async def test_login_form_needs_its_token() -> None:
    users = Users()
    client = await _client(users)
    try:
        form = {"name": "wang", "password": "right", "next": "/"}
        # another site posting the form: no cookie, no token -> 403, no login attempted
        resp = await client.post("/login", data=form, allow_redirects=False)
        assert resp.status == 403 and "expired" in await resp.text()
        assert users.attempts == []

        page = await client.get("/login")
        token = _token(await page.text())
        cookie = page.cookies[users_http.LOGIN_CSRF]
        assert cookie.value == token and cookie["httponly"] and cookie["samesite"] == "Strict"

        wrong = await client.post("/login", data={**form, "csrf": "x" * 43}, allow_redirects=False)
        assert wrong.status == 403 and users.attempts == []
        assert _token(await wrong.text()) == token  # the browser's token, kept for other tabs

        ok = await client.post("/login", data={**form, "csrf": token}, allow_redirects=False)
        assert ok.status == 303 and ok.headers["Location"] == "/wallboard"
        assert users.attempts == ["wang"]
        assert users_http.COOKIE in ok.cookies

        # a failed login shows the form again, with a token
        page = await client.get("/login")
        bad = {**form, "password": "nope", "csrf": _token(await page.text())}
        again = await client.post("/login", data=bad, allow_redirects=False)
        assert again.status == 401 and _token(await again.text())

        # a JSON client (no form, no cookie) logs in as before
        resp = await client.post("/login", json={"name": "wang", "password": "right"})
        assert resp.status == 200 and (await resp.json())["csrf"]
    finally:
        await client.close()
