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


Compiled = tuple[str, tuple[str, ...] | None, dict[str, Any]]  # SQL, positional order, defaults


class Prepared:
    """A Core statement compiled once per dialect and parameter names, then run straight on
    the driver's cursor: for the hot paths (caller-ID lookup, bulk ingest), where
    SQLAlchemy's per-execution work costs more than the query. The SQL is SQLAlchemy's;
    literal values in the statement come from its compiled defaults."""

    def __init__(self, stmt: Any) -> None:
        self.stmt = stmt
        self._cache: dict[
            tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...] | None, dict[str, Any]]
        ] = {}

    def _compiled(self, conn: Connection, keys: tuple[str, ...]) -> Compiled:
        found = self._cache.get((conn.dialect.name, keys))
        if found is None:
            compiled = self.stmt.compile(dialect=conn.dialect, column_keys=list(keys))
            order = tuple(compiled.positiontup or ()) if conn.dialect.positional else None
            literals = {k: v for k, v in compiled.params.items() if k not in keys}
            found = (compiled.string, order, literals)
            self._cache[(conn.dialect.name, keys)] = found
        return found

    def _args(
        self, row: dict[str, Any], order: tuple[str, ...] | None, base: dict[str, Any]
    ) -> Any:
        merged = {**base, **row} if base else row
        return tuple(map(merged.__getitem__, order)) if order is not None else merged

    def execute(self, conn: Connection, row: dict[str, Any]) -> Any:
        """Runs once with ``row``; returns the driver's cursor (rowcount, fetch...)."""
        sql, order, base = self._compiled(conn, tuple(row))
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(sql, self._args(row, order, base))
        return cursor

    def executemany(self, conn: Connection, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        sql, order, base = self._compiled(conn, tuple(rows[0]))
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.executemany(sql, [self._args(r, order, base) for r in rows])
        cursor.close()
