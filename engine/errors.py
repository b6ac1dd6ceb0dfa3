"""Domain errors: a kebab-case id, an HTTP status and details. Rendered once, at the HTTP edge."""

from __future__ import annotations

from typing import Any


class EngineError(Exception):
    status_code = 500
    error_id = "engine-error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return {"error_id": self.error_id, "message": self.message, "details": self.details}


class InvalidRequest(EngineError):
    status_code = 400
    error_id = "invalid-request"


class NotFound(EngineError):
    status_code = 404
    error_id = "not-found"


class Conflict(EngineError):
    status_code = 409
    error_id = "conflict"


class Unavailable(EngineError):
    """A dependency (Asterisk, Redis) cannot be reached right now."""

    status_code = 503
    error_id = "service-unavailable"


class InternalError(EngineError):
    """A bug or an unforeseen failure: the client gets a reference, the log the traceback."""

    status_code = 500
    error_id = "internal-error"
