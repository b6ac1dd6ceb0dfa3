"""Who may do what, pure: roles, the paths each may reach, CSRF tokens and the login limiter.

Roles: ``admin`` (everything, users and tokens included), ``supervisor`` (every page and
route: wallboard, any desk, campaign control, listen/whisper/barge) and ``agent`` (their own
desk only: the routes under ``/agents/<their id>/``, ``/desk`` and the event stream, which
the web layer filters to their own channel). Machine clients (bearer tokens) act as
``admin``. Nothing here touches the network, a clock or a database: ``users/service.py``
passes the time in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field

ROLES = ("agent", "supervisor", "admin")
LANGUAGES = ("en", "zh")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# paths anyone may open without logging in
PUBLIC_PREFIXES = ("/static/",)
PUBLIC_PATHS = frozenset({"/health", "/login", "/openapi.json", "/docs", "/favicon.ico"})
# paths every logged-in person may use
EVERYONE = frozenset({"/", "/logout", "/me", "/me/settings", "/desk", "/events"})
AGENT_OWN = re.compile(r"^/agents/(?P<agent>[^/]+)(/.*)?$")
AGENT_DESK_ROUTES = re.compile(r"^/desk/(disposition|softphone|preview/.*)$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (``kind="user"``) or a machine client (``"token"``)."""

    kind: str
    name: str
    role: str
    agent_id: str | None = None
    lang: str = "en"
    user_id: int | None = None
    session: str | None = field(default=None, repr=False)

    @property
    def supervises(self) -> bool:
        return self.role in ("supervisor", "admin")


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def allowed(who: Principal, method: str, path: str, query_agent: str | None = None) -> bool:
    """May ``who`` call ``method path``? Agents reach their own desk and agent routes only;
    ``query_agent`` is the request's ``?agent=`` (a supervisor's view of one desk)."""
    if path.startswith(("/users", "/tokens")):
        return who.role == "admin"
    if who.supervises:
        return True
    if query_agent is not None and query_agent != who.agent_id:
        return False
    if path in EVERYONE or AGENT_DESK_ROUTES.match(path):
        return True
    m = AGENT_OWN.match(path)
    return bool(m and who.agent_id is not None and m.group("agent") == who.agent_id)


def needs_csrf(method: str, who: Principal) -> bool:
    """A state-changing request made with a session cookie (a browser) must carry the
    session's CSRF token; bearer-token clients cannot be driven by another site."""
    return who.kind == "user" and method.upper() not in SAFE_METHODS


def csrf_token(session_token: str) -> str:
    """The CSRF token of a session: derived from its secret, so nothing more is stored."""
    return hmac.new(session_token.encode(), b"tenure-csrf", hashlib.sha256).hexdigest()


def login_csrf_ok(cookie: str | None, given: str | None) -> bool:
    """The login form's double submit: the token in its hidden field must equal the one in
    the pre-session cookie set with the form (another site can post the form, but can
    neither read nor set that cookie)."""
    return bool(cookie) and bool(given) and hmac.compare_digest(str(cookie), str(given))


def csrf_ok(session_token: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(session_token), str(given))


def token_digest(token: str) -> str:
    """Sessions and client tokens are stored as this digest, never as given."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class _Strikes:
    failures: int = 0
    blocked_until: float = 0.0


@dataclass
class LoginLimiter:
    """Failed logins per key (user name + address): ``free`` failures go unpunished, then
    each further one blocks the key for ``base * 2**n`` seconds, up to ``cap``."""

    free: int = 5
    base: float = 1.0
    cap: float = 900.0
    _keys: dict[str, _Strikes] = field(default_factory=dict)

    def wait(self, key: str, now: float) -> float:
        """Seconds before ``key`` may try again (0: now)."""
        s = self._keys.get(key)
        return max(0.0, s.blocked_until - now) if s else 0.0

    def failed(self, key: str, now: float) -> float:
        s = self._keys.setdefault(key, _Strikes())
        s.failures += 1
        over = s.failures - self.free
        if over >= 0:
            s.blocked_until = now + min(self.cap, self.base * 2.0**over)
        if len(self._keys) > 10_000:  # a flood of names: forget the oldest
            for old in list(self._keys)[:1000]:
                del self._keys[old]
        return self.wait(key, now)

    def succeeded(self, key: str) -> None:
        self._keys.pop(key, None)
