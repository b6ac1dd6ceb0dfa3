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


def _named(sql: str, args: tuple[Any, ...], params: dict[str, Any]) -> tuple[str, dict]:
    """``?`` placeholders, one per positional argument, as ``:p0``, ``:p1``..."""
    if not args:
        return sql, params
    parts = sql.split("?")
    if len(parts) != len(args) + 1:
        raise ValueError(f"{len(parts) - 1} placeholders for {len(args)} arguments: {sql}")
    named = "".join(p + (f":p{i}" if i < len(args) else "") for i, p in enumerate(parts))
    return named, params | {f"p{i}": a for i, a in enumerate(args)}


def query(conn: Connection, sql: str, *args: Any, **params: Any) -> list[dict[str, Any]]:
    """Portable SQL with ``?`` (positional) or ``:name`` parameters."""
    sql, params = _named(sql, args, params)
    return as_dicts(conn.execute(text(sql), params))


def execute(conn: Connection, sql: str, *args: Any, **params: Any) -> int:
    sql, params = _named(sql, args, params)
    return int(conn.execute(text(sql), params).rowcount)


def replace(conn: Connection, name: str, rows: list[dict[str, Any]] | dict[str, Any]) -> None:
    """The rows, each in place of one with the same primary key (when it names it)."""
    t = table(conn, name)
    key = list(t.primary_key.columns)
    for row in [rows] if isinstance(rows, dict) else rows:
        if all(c.name in row for c in key):
            conn.execute(t.delete().where(*(c == row[c.name] for c in key)))
        conn.execute(t.insert().values(row))


def count(conn: Connection, name: str) -> int:
    return int(conn.execute(select(func.count()).select_from(table(conn, name))).scalar_one())
