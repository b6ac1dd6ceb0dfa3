"""Queries of the users domain, each a function of a ``sqlite_utils.Database`` run on the
engine's database thread (``Database.run``) or, for the CLI, ``run_sync``."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

PUBLIC_USER_FIELDS = ("id", "name", "role", "agent_id", "lang", "disabled", "created_at")


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in PUBLIC_USER_FIELDS}


def add_user(db: sqlite_utils.Database, row: dict[str, Any]) -> int:
    if list(db.query("SELECT 1 FROM users WHERE name = ?", [row["name"]])):
        raise ValueError(f"a user named {row['name']!r} already exists")
    return int(db.table("users").insert(row).last_pk or 0)


def user_by_name(db: sqlite_utils.Database, name: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM users WHERE name = ?", [name]))
    return rows[0] if rows else None


def list_users(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return [_public(r) for r in db.query("SELECT * FROM users ORDER BY name")]


def update_user(db: sqlite_utils.Database, name: str, values: dict[str, Any]) -> bool:
    sets = ", ".join(f"{k} = ?" for k in values)
    cur = db.execute(f"UPDATE users SET {sets} WHERE name = ?", [*values.values(), name])
    if values.get("disabled"):
        db.execute(
            "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE name = ?)", [name]
        )
    return bool(cur.rowcount)


def add_session(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    """A new session; sessions that have expired go at the same time."""
    db.execute("DELETE FROM sessions WHERE expires_at <= ?", [row["created_at"]])
    db.table("sessions").insert(row)


def session_user(db: sqlite_utils.Database, digest: str, now: float) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id "
            "WHERE s.id = ? AND s.expires_at > ? AND NOT u.disabled",
            [digest, now],
        )
    )
    return rows[0] if rows else None


def drop_session(db: sqlite_utils.Database, digest: str) -> None:
    db.execute("DELETE FROM sessions WHERE id = ?", [digest])


def drop_agent_sessions(db: sqlite_utils.Database, agent_id: str) -> int:
    cur = db.execute(
        "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE agent_id = ?)",
        [agent_id],
    )
    return int(cur.rowcount)


def add_token(db: sqlite_utils.Database, name: str, digest: str, now: float) -> int:
    live = db.query("SELECT 1 FROM api_tokens WHERE name = ? AND revoked_at IS NULL", [name])
    if list(live):
        raise ValueError(f"a live token named {name!r} already exists; revoke it first")
    return int(
        db.table("api_tokens")
        .insert({"name": name, "token_hash": digest, "created_at": now})
        .last_pk
        or 0
    )


def token_name(db: sqlite_utils.Database, digest: str) -> str | None:
    rows = list(
        db.query(
            "SELECT name FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL", [digest]
        )
    )
    return str(rows[0]["name"]) if rows else None


def list_tokens(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT id, name, created_at, revoked_at FROM api_tokens ORDER BY id"))


def revoke_token(db: sqlite_utils.Database, name: str, now: float) -> bool:
    cur = db.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", [now, name]
    )
    return bool(cur.rowcount)


def audit(db: sqlite_utils.Database, row: dict[str, Any]) -> None:
    row = dict(row)
    row["details"] = json.dumps(row.get("details") or {}, ensure_ascii=False)
    db.table("audit").insert(row)


def recent_audit(db: sqlite_utils.Database, limit: int) -> list[dict[str, Any]]:
    rows = list(db.query("SELECT * FROM audit ORDER BY id DESC LIMIT ?", [limit]))
    for r in rows:
        r["details"] = json.loads(r["details"] or "{}")
    return rows
