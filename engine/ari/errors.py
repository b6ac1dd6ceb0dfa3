"""ARI failures as exceptions. A 404 on a channel or bridge means it is already gone:
callers treat ``AriNotFound`` as a normal event, not a crash."""

from __future__ import annotations


class AriError(Exception):
    def __init__(self, status: int, message: str, method: str = "", path: str = "") -> None:
        super().__init__(f"ARI {method} {path}: {status} {message}".strip())
        self.status = status
        self.message = message
        self.method = method
        self.path = path


class AriNotFound(AriError):
    """The channel, bridge or playback no longer exists (404)."""


class AriConflict(AriError):
    """The resource is in the wrong state for the request (409), e.g. not in Stasis."""


class AriUnavailable(AriError):
    """Asterisk cannot be reached, or answered 5xx."""


def error_for(status: int, message: str, method: str, path: str) -> AriError:
    kind = {404: AriNotFound, 409: AriConflict, 422: AriConflict}.get(status)
    if kind is None:
        kind = AriUnavailable if status >= 500 or status == 0 else AriError
    return kind(status, message, method, path)


def originator_gone(exc: AriError) -> bool:
    """An originate named a channel as its originator that has hung up meanwhile (400)."""
    return exc.status == 400 and "originator" in exc.message.lower()
