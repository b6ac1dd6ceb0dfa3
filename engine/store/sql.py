"""What the domains' stores share on top of SQLAlchemy Core: inserts that may conflict
(SQLAlchemy's own ``ON CONFLICT`` constructs of the connection's dialect), the scalar
``greatest`` of two values, and rows as dicts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import Float


def insert(conn: Connection, table: Table) -> Any:
    """``INSERT`` with ``on_conflict_do_nothing`` / ``on_conflict_do_update`` (both
    dialects have them, with ``excluded``)."""
    return insert_for(conn.dialect.name, table)


def insert_for(dialect: str, table: Table) -> Any:
    """``insert`` for a dialect named ``postgresql`` or ``sqlite``."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


class greatest(GenericFunction[float]):
    """The larger of its arguments: ``greatest`` on PostgreSQL, scalar ``max`` on SQLite."""

    type = Float()
    inherit_cache = True


@compiles(greatest, "sqlite")
def _greatest_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


def rows(result: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in result.mappings()]


def first(result: Any) -> dict[str, Any] | None:
    row = result.mappings().first()
    return dict(row) if row is not None else None
