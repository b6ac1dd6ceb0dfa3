"""Test helpers over the store's SQLAlchemy connection (either backend): rows in, rows
out, by table name, as the tests' setup and checks need them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, MetaData, Table, func, select, text

from engine.store.sql import rows as as_dicts

_meta = MetaData()


def table(conn: Connection, name: str) -> Table:
    """The table as it is in the database (reflected once per test process)."""
    found = _meta.tables.get(name)
    return found if found is not None else Table(name, _meta, autoload_with=conn)


def insert(conn: Connection, name: str, rows: list[dict[str, Any]] | dict[str, Any]) -> None:
    batch = [rows] if isinstance(rows, dict) else rows
    t = table(conn, name)
    for row in batch:  # rows of different shapes each get their own statement
        conn.execute(t.insert().values(row))


def query(conn: Connection, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Portable SQL with ``:name`` parameters."""
    return as_dicts(conn.execute(text(sql), params))


def execute(conn: Connection, sql: str, **params: Any) -> int:
    return int(conn.execute(text(sql), params).rowcount)


def count(conn: Connection, name: str) -> int:
    return int(conn.execute(select(func.count()).select_from(table(conn, name))).scalar_one())
