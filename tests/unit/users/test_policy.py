"""Roles and paths, CSRF tokens and the login limiter: the pure rules of engine/users."""

from __future__ import annotations

import pytest

from engine.users.policy import (
    LoginLimiter,
    Principal,
    allowed,
    csrf_ok,
    csrf_token,
    is_public,
    needs_csrf,
)

AGENT = Principal("user", "li", "agent", agent_id="1001", session="s1")
SUPERVISOR = Principal("user", "wang", "supervisor", session="s2")
ADMIN = Principal("user", "root", "admin", session="s3")
CLIENT = Principal("token", "crm", "admin")


@pytest.mark.parametrize(
    ("who", "method", "path", "query_agent", "ok"),
    [
        (AGENT, "GET", "/desk", None, True),
        (AGENT, "GET", "/desk", "1002", False),
        (AGENT, "GET", "/events", None, True),
        (AGENT, "GET", "/events", "1002", False),
        (AGENT, "GET", "/agents/1001/screen", None, True),
        (AGENT, "POST", "/agents/1001/pause", None, True),
        (AGENT, "GET", "/agents/1002/screen", None, False),
        (AGENT, "GET", "/agents/10011/screen", None, False),
        (AGENT, "GET", "/agents", None, False),
        (AGENT, "GET", "/wallboard", None, False),
        (AGENT, "GET", "/wallboard/data", None, False),
        (AGENT, "GET", "/calls", None, False),
        (AGENT, "POST", "/desk/disposition", None, True),
        (AGENT, "GET", "/desk/softphone", None, True),
        (AGENT, "GET", "/desk/softphone", "1002", False),
        (AGENT, "POST", "/dialer/campaigns/1/pause", None, False),
        (AGENT, "GET", "/users", None, False),
        (SUPERVISOR, "GET", "/wallboard", None, True),
        (SUPERVISOR, "GET", "/desk", "1002", True),
        (SUPERVISOR, "POST", "/wallboard/calls/c1/whisper", None, True),
        (SUPERVISOR, "GET", "/users", None, False),
        (ADMIN, "GET", "/users", None, True),
        (CLIENT, "POST", "/profiles/events", None, True),
    ],
)
def test_who_may_reach_what(who, method, path, query_agent, ok):
    assert allowed(who, method, path, query_agent) is ok


def test_an_agent_user_without_agent_id_reaches_no_agent_route():
    nobody = Principal("user", "x", "agent", agent_id=None)
    assert not allowed(nobody, "GET", "/agents/None/desk")


def test_public_paths():
    assert is_public("/health") and is_public("/login") and is_public("/static/desk.js")
    assert not is_public("/desk") and not is_public("/staticx")


def test_csrf_is_needed_for_browser_writes_only():
    assert needs_csrf("POST", AGENT) and needs_csrf("DELETE", AGENT)
    assert not needs_csrf("GET", AGENT)
    assert not needs_csrf("POST", CLIENT)


def test_csrf_token_belongs_to_its_session():
    token = csrf_token("session-a")
    assert csrf_ok("session-a", token)
    assert not csrf_ok("session-b", token)
    assert not csrf_ok("session-a", None) and not csrf_ok("session-a", "")
    assert csrf_token("session-a") == token  # derived, nothing stored


def test_login_limiter_backs_off_then_forgives_on_success():
    lim = LoginLimiter(free=3, base=1.0, cap=60.0)
    key = "li|127.0.0.1"
    waits = [lim.failed(key, 100.0) for _ in range(6)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2:] == [1.0, 2.0, 4.0, 8.0], "exponential after the free attempts"
    assert lim.wait(key, 104.0) == 4.0
    assert lim.wait("li|10.0.0.9", 100.0) == 0.0, "another address is not blocked"
    lim.succeeded(key)
    assert lim.wait(key, 100.0) == 0.0


def test_login_limiter_caps_the_wait():
    lim = LoginLimiter(free=0, base=1.0, cap=30.0)
    for _ in range(20):
        wait = lim.failed("k", 0.0)
    assert wait == 30.0
