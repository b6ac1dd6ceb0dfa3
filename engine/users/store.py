"""Queries of the users domain, each a function of a SQLAlchemy ``Connection`` run in one
transaction by ``Database.run`` or, for the CLI, ``run_sync``."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, select, update

from engine.store.sql import first, rows
from engine.users.schema import api_tokens, sessions, users
from engine.users.schema import audit as audit_table

PUBLIC_USER_FIELDS = ("id", "name", "role", "agent_id", "lang", "disabled", "created_at")


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in PUBLIC_USER_FIELDS}


def add_user(conn: Connection, row: dict[str, Any]) -> int:
    if conn.execute(select(users.c.id).where(users.c.name == row["name"])).first():
        raise ValueError(f"a user named {row['name']!r} already exists")
    return int(conn.execute(users.insert().values(row).returning(users.c.id)).scalar_one())


def user_by_name(conn: Connection, name: str) -> dict[str, Any] | None:
    return first(conn.execute(select(users).where(users.c.name == name)))


def list_users(conn: Connection) -> list[dict[str, Any]]:
    return [_public(r) for r in rows(conn.execute(select(users).order_by(users.c.name)))]


def update_user(conn: Connection, name: str, values: dict[str, Any]) -> bool:
    cur = conn.execute(update(users).where(users.c.name == name).values(values))
    if values.get("disabled"):
        mine = select(users.c.id).where(users.c.name == name)
        conn.execute(delete(sessions).where(sessions.c.user_id.in_(mine)))
    return bool(cur.rowcount)


def add_session(conn: Connection, row: dict[str, Any]) -> None:
    """A new session; sessions that have expired go at the same time."""
    conn.execute(delete(sessions).where(sessions.c.expires_at <= row["created_at"]))
    conn.execute(sessions.insert().values(row))


def session_user(conn: Connection, digest: str, now: float) -> dict[str, Any] | None:
    query = (
        select(users)
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(sessions.c.id == digest, sessions.c.expires_at > now)
        .where((users.c.disabled.is_(None)) | (users.c.disabled == 0))
    )
    return first(conn.execute(query))


def drop_session(conn: Connection, digest: str) -> None:
    conn.execute(delete(sessions).where(sessions.c.id == digest))


def drop_agent_sessions(conn: Connection, agent_id: str) -> int:
    theirs = select(users.c.id).where(users.c.agent_id == agent_id)
    return int(conn.execute(delete(sessions).where(sessions.c.user_id.in_(theirs))).rowcount)


def add_token(conn: Connection, name: str, digest: str, now: float) -> int:
    t = api_tokens
    if conn.execute(select(t.c.id).where(t.c.name == name, t.c.revoked_at.is_(None))).first():
        raise ValueError(f"a live token named {name!r} already exists; revoke it first")
    values = {"name": name, "token_hash": digest, "created_at": now}
    return int(conn.execute(t.insert().values(values).returning(t.c.id)).scalar_one())


def token_name(conn: Connection, digest: str) -> str | None:
    t = api_tokens
    query = select(t.c.name).where(t.c.token_hash == digest, t.c.revoked_at.is_(None))
    name = conn.execute(query).scalar()
    return str(name) if name is not None else None


def list_tokens(conn: Connection) -> list[dict[str, Any]]:
    t = api_tokens
    return rows(
        conn.execute(select(t.c.id, t.c.name, t.c.created_at, t.c.revoked_at).order_by(t.c.id))
    )


def revoke_token(conn: Connection, name: str, now: float) -> bool:
    t = api_tokens
    cur = conn.execute(
        update(t).where(t.c.name == name, t.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    return bool(cur.rowcount)


def audit(conn: Connection, row: dict[str, Any]) -> None:
    row = dict(row)
    row["details"] = json.dumps(row.get("details") or {}, ensure_ascii=False)
    conn.execute(audit_table.insert().values(row))


def recent_audit(conn: Connection, limit: int) -> list[dict[str, Any]]:
    query = select(audit_table).order_by(audit_table.c.id.desc()).limit(limit)
    found = rows(conn.execute(query))
    for r in found:
        r["details"] = json.loads(r["details"] or "{}")
    return found
