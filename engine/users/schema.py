"""The users domain's tables (``Migrations("users")``): people who log in, their sessions,
machine clients' tokens and the audit of supervisors' actions.

Passwords are argon2 hashes; sessions and client tokens are stored as SHA-256 digests of
the secret the client holds, so a copy of the database logs nobody in.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("users")


@migrations()
def m001_users(db: sqlite_utils.Database) -> None:
    db.table("users").create(
        {
            "id": int,
            "name": str,
            "role": str,
            "agent_id": str,
            "password_hash": str,
            "lang": str,
            "disabled": int,
            "created_at": float,
        },
        pk="id",
        not_null={"name", "role", "password_hash"},
    )
    db.table("users").create_index(["name"], unique=True)
    db.table("sessions").create(
        {"id": str, "user_id": int, "created_at": float, "expires_at": float, "address": str},
        pk="id",
        foreign_keys=[("user_id", "users", "id")],
    )
    db.table("api_tokens").create(
        {
            "id": int,
            "name": str,
            "token_hash": str,
            "created_at": float,
            "revoked_at": float,
            "last_used_at": float,
        },
        pk="id",
    )
    db.table("api_tokens").create_index(["token_hash"], unique=True)
    db.table("audit").create(
        {"id": int, "at": float, "by": str, "action": str, "target": str, "details": str},
        pk="id",
    )
    db.table("audit").create_index(["at"])
