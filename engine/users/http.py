"""Logging in and out, and the middleware that says who is calling and what they may do.

``auth_middleware`` replaces the single-token check of ``engine/api/http.py``: a request is
identified by its bearer token (the ``api_token`` setting, or a client token from ``engine
tokens add``; ``?token=`` for WebSockets) or by its session cookie; ``policy.allowed``
decides; a state-changing request made with a cookie must carry the session's CSRF token
(``X-CSRF-Token`` header, or a ``csrf`` form field). The login form has no session yet: it
carries a random pre-session token both as a cookie (``tenure_login_csrf``, HttpOnly,
SameSite=Strict, path ``/login``) and in a hidden field, and ``POST /login`` from a form
needs the two to match (double submit); a JSON login cannot be sent cross-site without a
CORS preflight, which the engine never grants, so it needs none. Refusals are 401/403: an
HTML page for a browser asking for a page, JSON ``{"error_id", "message", "details"}`` for
everyone else.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from engine.api.http import Handler, error_response, json_response, read_json, wants_html
from engine.errors import InvalidRequest
from engine.users.policy import (
    Principal,
    allowed,
    csrf_ok,
    csrf_token,
    is_public,
    login_csrf_ok,
    needs_csrf,
)
from engine.users.service import LoginRefused, Users
from engine.web.i18n import text
from engine.web.pages import error_page, login_page

USERS = web.AppKey("users", Users)
WHO = web.RequestKey("who", Principal)
COOKIE = "tenure_session"
LOGIN_CSRF = "tenure_login_csrf"
LOGIN_FORM_SECONDS = 3600
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
SECURE_COOKIE = web.AppKey("secure_cookie", bool)
routes = web.RouteTableDef()


def who(request: web.Request) -> Principal:
    """The caller, as the middleware identified them."""
    return request[WHO]


def _lang(request: web.Request) -> str:
    return "zh" if request.headers.get("Accept-Language", "").startswith("zh") else "en"


def login_form_response(
    request: web.Request,
    message: str = "",
    next_path: str = "/",
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """The login page with the pre-session CSRF token in its form and its cookie: the
    browser's current one if it has one (two open login tabs both work), else a new one."""
    token = request.cookies.get(LOGIN_CSRF, "")
    if not TOKEN_SHAPE.fullmatch(token):
        token = secrets.token_urlsafe(32)
    page = login_page(_lang(request), message, next_path, csrf=token)
    response = web.Response(text=page, status=status, content_type="text/html", headers=headers)
    _cookie(request, response, LOGIN_CSRF, token, LOGIN_FORM_SECONDS, "/login")
    return response


def _cookie(
    request: web.Request, response: web.Response, name: str, value: str, age: int, path: str
) -> None:
    """HttpOnly, SameSite=Strict, Secure when configured: every cookie the engine sets."""
    secure = request.app.get(SECURE_COOKIE, False)
    response.set_cookie(
        name, value, httponly=True, samesite="Strict", secure=secure, max_age=age, path=path
    )


def refuse(request: web.Request, status: int, error_id: str, message: str) -> web.Response:
    if wants_html(request):
        lang = _lang(request)
        if status == 401:
            return login_form_response(
                request, text(lang, "login.expired"), request.path_qs, status=401
            )
        else:
            page = error_page(lang, status, text(lang, "forbidden.title"), message)
        return web.Response(text=page, status=status, content_type="text/html")
    return error_response(status, error_id, message)


async def identify(request: web.Request) -> Principal | None:
    users = request.app[USERS]
    header = request.headers.get("Authorization", "")
    bearer = header[7:] if header.startswith("Bearer ") else request.query.get("token", "")
    if bearer:
        return await users.from_bearer(bearer)
    session = request.cookies.get(COOKIE)
    return await users.from_session(session) if session else None


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


async def form_or_json(request: web.Request) -> Any:
    """A page's form or a client's JSON body; anything else (or a broken form) is a 400."""
    if request.content_type == "application/json":
        return await read_json(request)
    if request.content_type not in FORMS:
        raise InvalidRequest("send a form or JSON (Content-Type)")
    try:
        return await request.post()
    except Exception as exc:  # e.g. multipart without a boundary
        raise InvalidRequest(f"the form cannot be read: {exc}") from None


async def _csrf_given(request: web.Request) -> str | None:
    given = request.headers.get("X-CSRF-Token")
    if given is None and request.content_type in FORMS:
        value = (await form_or_json(request)).get("csrf")
        given = value if isinstance(value, str) else None
    return given


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if is_public(request.path):
        return await handler(request)
    caller = await identify(request)
    if caller is None:
        return refuse(
            request,
            401,
            "unauthorized",
            "log in, or send Authorization: Bearer <token> (missing, wrong or expired)",
        )
    if not allowed(caller, request.method, request.path, request.query.get("agent")):
        return refuse(request, 403, "forbidden", f"{caller.role} {caller.name} may not do this")
    if needs_csrf(request.method, caller) and not csrf_ok(
        caller.session or "", await _csrf_given(request)
    ):
        return refuse(request, 403, "csrf", "missing or wrong CSRF token; reload the page")
    request[WHO] = caller
    return await handler(request)


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _home(caller: Principal) -> str:
    return "/wallboard" if caller.supervises else "/desk"


@routes.get("/login")
async def login_form(request: web.Request) -> web.Response:
    return login_form_response(request, next_path=request.query.get("next", "/"))


@routes.post("/login")
async def login(request: web.Request) -> web.Response:
    """Form (a browser: redirect on success, the page again on failure) or JSON
    ``{"name", "password"}`` (the session cookie and ``{"csrf"}`` in return)."""
    as_json = request.content_type == "application/json"
    form: Any = await form_or_json(request)
    if not isinstance(form, Mapping):
        raise InvalidRequest("expected name and password")
    name, password = str(form.get("name") or ""), str(form.get("password") or "")
    nxt = str(form.get("next") or "")
    lang = _lang(request)
    if not as_json and not login_csrf_ok(request.cookies.get(LOGIN_CSRF), form.get("csrf")):
        return login_form_response(request, text(lang, "login.csrf"), nxt or "/", status=403)
    try:
        token, caller = await request.app[USERS].login(name, password, request.remote or "")
    except LoginRefused as exc:
        status = 429 if exc.reason.startswith("too many") else 401
        headers = {"Retry-After": str(int(exc.retry_after) + 1)} if status == 429 else {}
        if as_json:
            response = error_response(status, "login-refused", exc.reason)
            response.headers.update(headers)
            return response
        key = "login.blocked" if status == 429 else "login.wrong"
        message = text(lang, key, seconds=int(exc.retry_after) + 1)
        return login_form_response(request, message, nxt or "/", status, headers)
    if as_json:
        response = json_response(
            {"user": caller.name, "role": caller.role, "csrf": csrf_token(token)}
        )
    else:
        safe = nxt.startswith("/") and not nxt.startswith("//") and nxt not in ("/", "/login")
        response = see_other(nxt if safe else _home(caller))
        response.del_cookie(LOGIN_CSRF, path="/login")
    _cookie(request, response, COOKIE, token, int(request.app[USERS].session_seconds), "/")
    return response


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    caller = who(request)
    if caller.session:
        await request.app[USERS].logout(caller.session)
    form = wants_html(request) or request.content_type.startswith("application/x-www-form")
    response = see_other("/login") if form else json_response({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response


@routes.get("/me")
async def me(request: web.Request) -> web.Response:
    caller = who(request)
    return json_response(
        {
            "name": caller.name,
            "kind": caller.kind,
            "role": caller.role,
            "agent_id": caller.agent_id,
            "lang": caller.lang,
        }
    )


@routes.post("/me/settings")
async def settings(request: web.Request) -> web.StreamResponse:
    """The user's own settings (the UI language): a form from the pages, or JSON."""
    caller = who(request)
    as_json = request.content_type == "application/json"
    form: Any = await form_or_json(request)
    if not isinstance(form, Mapping):
        raise InvalidRequest("expected lang")
    if caller.kind == "user":
        await request.app[USERS].set_lang(caller, str(form.get("lang") or ""))
    if as_json:
        return json_response({"lang": form.get("lang")})
    return see_other(request.headers.get("Referer") or _home(caller))
