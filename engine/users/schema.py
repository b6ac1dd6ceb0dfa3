"""The users domain's tables (``Migrations("users")``): people who log in, their sessions,
machine clients' tokens and the audit of supervisors' actions.

Passwords are argon2 hashes; sessions and client tokens are stored as SHA-256 digests of
the secret the client holds, so a copy of the database logs nobody in.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
)

from engine.store.migrations import Migrations, create_tables

metadata = MetaData()
migrations = Migrations("users")
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("agent_id", Text),
    Column("password_hash", Text, nullable=False),
    Column("lang", Text),
    Column("disabled", Integer),
    Column("created_at", Float),
    Index("idx_users_name", "name", unique=True),
)
sessions = Table(
    "sessions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("created_at", Float),
    Column("expires_at", Float),
    Column("address", Text),
)
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text),
    Column("token_hash", Text),
    Column("created_at", Float),
    Column("revoked_at", Float),
    Column("last_used_at", Float),
    Index("idx_api_tokens_token_hash", "token_hash", unique=True),
)
audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", Float),
    Column("by", Text),
    Column("action", Text),
    Column("target", Text),
    Column("details", Text),
    Index("idx_audit_at", "at"),
)


@migrations()
def m001_users(conn: Connection) -> None:
    create_tables(conn, users, sessions, api_tokens, audit)
