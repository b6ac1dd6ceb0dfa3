"""Users, sessions and client tokens: the adapters' side of ``policy.py``.

Passwords are hashed with argon2 (argon2-cffi, its default parameters); a login checks the
limiter (per user name + address) first, so a blocked key costs no hash. Sessions are
random tokens the browser keeps in an HttpOnly cookie; the database keeps their digest.
Machine clients use bearer tokens, each named and revocable (``engine tokens``); the
``api_token`` setting stays valid as the built-in client ``settings`` (compatibility).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.errors import InvalidRequest
from engine.store.database import Database
from engine.users import store
from engine.users.policy import LANGUAGES, ROLES, LoginLimiter, Principal, token_digest

SESSION_SECONDS = 12 * 3600
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this keeps an unknown name as slow as a wrong password (made on
    first use: an argon2 hash takes 64 MiB for a moment, which start-up need not pay)."""
    return _hasher.hash(secrets.token_hex(8))


def _verify(stored: str | None, password: str) -> bool:
    """Argon2 costs tens of milliseconds of CPU: run in a thread, off the event loop."""
    try:
        return bool(_hasher.verify(stored or _dummy_hash(), password)) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


class LoginRefused(Exception):
    def __init__(self, reason: str, retry_after: float = 0.0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_user(name: str, role: str, agent_id: str | None, lang: str, password: str) -> None:
    if not name or len(name) > 64 or not name.replace("-", "").replace(".", "").isalnum():
        raise InvalidRequest("a user name is 1-64 letters, digits, '.' or '-'", field="name")
    if role not in ROLES:
        raise InvalidRequest(f"role must be one of {list(ROLES)}", field="role")
    if role == "agent" and not agent_id:
        raise InvalidRequest("an agent user needs --agent-id (the agent's ID)", field="agent_id")
    if lang not in LANGUAGES:
        raise InvalidRequest(f"lang must be one of {list(LANGUAGES)}", field="lang")
    if len(password) < 8:
        raise InvalidRequest("the password needs at least 8 characters", field="password")


def user_row(
    name: str, role: str, agent_id: str | None, lang: str, password: str, now: float
) -> dict[str, Any]:
    check_user(name, role, agent_id, lang, password)
    return {
        "name": name,
        "role": role,
        "agent_id": agent_id,
        "lang": lang,
        "password_hash": hash_password(password),
        "disabled": 0,
        "created_at": now,
    }


def principal(row: dict[str, Any], session: str | None = None) -> Principal:
    return Principal(
        kind="user",
        name=row["name"],
        role=row["role"],
        agent_id=row.get("agent_id"),
        lang=row.get("lang") or "en",
        user_id=row["id"],
        session=session,
    )


class Users:
    def __init__(
        self,
        db: Database,
        settings_token: str,
        session_seconds: float = SESSION_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.settings_token = settings_token.encode()
        self.session_seconds = session_seconds
        self.clock = clock
        self.limiter = LoginLimiter()

    async def login(self, name: str, password: str, address: str) -> tuple[str, Principal]:
        """A new session token for a right name and password, else ``LoginRefused``."""
        key = f"{name}|{address}"
        now = self.clock()
        wait = self.limiter.wait(key, now)
        if wait > 0:
            raise LoginRefused("too many failed logins; wait and try again", wait)
        row = await self.db.run(store.user_by_name, name)
        stored = row["password_hash"] if row else None
        ok = await asyncio.to_thread(_verify, stored, password)
        ok = ok and row is not None and not row["disabled"]
        if not ok or row is None:
            wait = self.limiter.failed(key, now)
            raise LoginRefused("wrong user name or password", wait)
        self.limiter.succeeded(key)
        token = secrets.token_urlsafe(32)
        await self.db.run(
            store.add_session,
            {
                "id": token_digest(token),
                "user_id": row["id"],
                "created_at": now,
                "expires_at": now + self.session_seconds,
                "address": address,
            },
        )
        return token, principal(row, token)

    async def from_session(self, token: str) -> Principal | None:
        row = await self.db.run(store.session_user, token_digest(token), self.clock())
        return principal(row, token) if row else None

    async def logout(self, token: str) -> None:
        await self.db.run(store.drop_session, token_digest(token))

    async def from_bearer(self, token: str) -> Principal | None:
        if hmac.compare_digest(token.encode(), self.settings_token):
            return Principal(kind="token", name="settings", role="admin")
        name = await self.db.run(store.token_name, token_digest(token))
        return Principal(kind="token", name=name, role="admin") if name else None

    async def set_lang(self, who: Principal, lang: str) -> None:
        if lang not in LANGUAGES:
            raise InvalidRequest(f"lang must be one of {list(LANGUAGES)}", field="lang")
        await self.db.run(store.update_user, who.name, {"lang": lang})

    async def log_agent_out(self, agent_id: str) -> int:
        """End every session of the agent's users (a supervisor's "log out")."""
        return int(await self.db.run(store.drop_agent_sessions, agent_id))

    async def audit(self, who: Principal, action: str, target: str, **details: Any) -> None:
        await self.db.run(
            store.audit,
            {
                "at": self.clock(),
                "by": who.name,
                "action": action,
                "target": target,
                "details": details,
            },
        )

    async def recent_audit(self, limit: int = 50) -> list[dict[str, Any]]:
        return list(await self.db.run(store.recent_audit, limit))
