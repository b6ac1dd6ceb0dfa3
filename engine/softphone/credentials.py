"""Softphone credentials, pure: names and passwords derived from one secret.

The SIP user of agent number N's browser softphone is ``N-webrtc`` (``SUFFIX``); its
password is an HMAC of that user with ``softphone_secret``, so the Asterisk
configuration (rendered at setup) and the engine (which hands it to the logged-in agent)
agree without storing it anywhere. An agent whose configured endpoint in
``skills/agents.yaml`` is ``PJSIP/N-webrtc`` answers in the browser.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

SUFFIX = "-webrtc"
_ENDPOINT = re.compile(r"^PJSIP/(?P<user>[A-Za-z0-9_.]+" + re.escape(SUFFIX) + r")$")


@dataclass(frozen=True)
class Credentials:
    """What the browser's SIP library needs to register."""

    ws_url: str
    uri: str
    username: str
    password: str

    def as_dict(self) -> dict[str, str]:
        return {
            "ws_url": self.ws_url,
            "uri": self.uri,
            "username": self.username,
            "password": self.password,
        }


def username(number: str) -> str:
    """``"1001"`` -> ``"1001-webrtc"``: the endpoint, AOR and auth name in Asterisk."""
    return number + SUFFIX


def password(secret: str, user: str) -> str:
    """The SIP password of softphone ``user``: 32 hex digits of HMAC-SHA256."""
    if not secret:
        raise ValueError("softphone_secret is empty: softphones have no password")
    mac = hmac.new(secret.encode(), b"tenure-softphone:" + user.encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def softphone_user(endpoint: str) -> str | None:
    """The softphone user an agent's dial string names (``PJSIP/1001-webrtc`` ->
    ``1001-webrtc``), or None when the agent's phone is something else."""
    m = _ENDPOINT.match(endpoint.strip())
    return m.group("user") if m else None


def ws_url(configured: str, http_host: str, http_port: int) -> str:
    """Where the browser reaches Asterisk's SIP WebSocket: the ``softphone_ws_url``
    setting, else Asterisk's own HTTP server (the one serving ARI) at ``/ws``."""
    if configured:
        return configured
    host = "127.0.0.1" if http_host in ("", "0.0.0.0") else http_host
    return f"ws://{host}:{http_port}/ws"


def for_endpoint(endpoint: str, secret: str, url: str, domain: str) -> Credentials | None:
    """The credentials of the softphone ``endpoint`` names (None: not a softphone, or
    softphones are not configured)."""
    user = softphone_user(endpoint)
    if user is None or not secret:
        return None
    return Credentials(url, f"sip:{user}@{domain}", user, password(secret, user))
