"""Every domain's migration set, in the order they apply: what the engine and every
command that opens the store pass to ``Database`` (so a CLI finds the same tables)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from engine.calls import schema as call_schema
from engine.dialer.campaigns import schema as dialer_schema
from engine.profiles import schema as profile_schema
from engine.profiles.care import schema as care_schema
from engine.profiles.risk import schema as risk_schema
from engine.speech import schema as speech_schema
from engine.store.database import Database
from engine.store.migrations import Migrations
from engine.users import schema as users_schema

MIGRATIONS: tuple[Migrations, ...] = (
    profile_schema.migrations,
    call_schema.migrations,
    care_schema.migrations,
    risk_schema.migrations,
    dialer_schema.migrations,
    speech_schema.migrations,
    users_schema.migrations,
)
T = TypeVar("T")


def database(settings: Any) -> Database:
    """The store the settings name (``database_url`` or ``database_path``), not opened."""
    return Database.for_settings(settings, MIGRATIONS)


def existing(settings: Any) -> bool:
    """There is a store to read: a PostgreSQL URL, or a SQLite file that exists."""
    return bool(settings.database_url) or Path(settings.database_path).exists()


def once(settings: Any, fn: Callable[..., T], *args: Any) -> T:
    """``fn(conn, *args)`` in one transaction on a freshly opened store (CLI tools)."""
    db = database(settings).open_sync()
    try:
        return db.run_sync(fn, *args)
    finally:
        db.close_sync()
