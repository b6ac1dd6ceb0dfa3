"""Versioned schema steps, the same on SQLite and PostgreSQL.

Each domain declares ``migrations = Migrations("name")`` next to its tables and decorates
its steps (``@migrations()``), each a function of a SQLAlchemy ``Connection`` built from
the domain's ``Table`` metadata (``create_tables``, ``add_column``, ``create_index``).
A step runs once, in its own transaction, recorded in ``schema_migrations`` (set, name,
time). Its row is written first: a second engine applying the same step at the same time
waits on that row and then finds the step done (PostgreSQL), so engines sharing one
database can start together.

SQLite files made before this module (sqlite-utils' ``Migrations``, table
``_sqlite_migrations``) upgrade in place: their applied steps are copied over once, under
the same names, and only the newer steps run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Float,
    Index,
    MetaData,
    String,
    Table,
    inspect,
    select,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

Step = Callable[[Connection], None]
LEGACY = "_sqlite_migrations"

metadata = MetaData()
applied = Table(
    "schema_migrations",
    metadata,
    Column("migration_set", String(100), primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("applied_at", Float),
)


class Migrations:
    def __init__(self, name: str) -> None:
        self.name = name
        self.steps: list[tuple[str, Step]] = []

    def __call__(self) -> Callable[[Step], Step]:
        def register(fn: Step) -> Step:
            self.steps.append((fn.__name__, fn))
            return fn

        return register


# -- what steps use ---------------------------------------------------------------------
def create_tables(conn: Connection, *tables: Table) -> None:
    """The tables with their indexes, as declared (a table already there is kept)."""
    for table in tables:
        table.create(conn, checkfirst=True)


def has_column(conn: Connection, table: str, column: str) -> bool:
    return column in {c["name"] for c in inspect(conn).get_columns(table)}


def add_column(conn: Connection, table: Table, name: str) -> None:
    """``ALTER TABLE ... ADD COLUMN`` for the declared column, unless it is there (a table
    created from today's metadata already has it)."""
    if has_column(conn, table.name, name):
        return
    column = table.c[name]
    prep = conn.dialect.identifier_preparer
    kind = column.type.compile(dialect=conn.dialect)
    conn.exec_driver_sql(
        f"ALTER TABLE {prep.format_table(table)} ADD COLUMN {prep.format_column(column)} {kind}"
    )


def create_index(conn: Connection, index: Index) -> None:
    index.create(conn, checkfirst=True)


# -- applying ---------------------------------------------------------------------------
def _done(conn: Connection) -> set[tuple[str, str]]:
    return {(r[0], r[1]) for r in conn.execute(select(applied.c.migration_set, applied.c.name))}


def _bookkeeping(conn: Connection) -> None:
    """``schema_migrations`` exists; legacy sqlite-utils records are copied into it."""
    try:
        with conn.begin():
            applied.create(conn, checkfirst=True)
    except (IntegrityError, DBAPIError):  # another engine created it at the same moment
        pass
    with conn.begin():
        if LEGACY not in inspect(conn).get_table_names():
            return
        have = _done(conn)
        legacy = conn.exec_driver_sql(f"SELECT migration_set, name, applied_at FROM {LEGACY}")
        rows = [
            {"migration_set": s, "name": n, "applied_at": time.time()}
            for s, n, _ in legacy
            if (s, n) not in have
        ]
        if rows:
            conn.execute(applied.insert(), rows)


def apply_all(connect: Callable[[], Connection], sets: Iterable[Migrations]) -> list[str]:
    """Apply every step not applied yet, in order; returns ``set:name`` of those run."""
    conn: Any = connect()
    ran: list[str] = []
    try:
        _bookkeeping(conn)
        for mset in sets:
            for name, step in mset.steps:
                with conn.begin():
                    done = (mset.name, name) in _done(conn)
                if done:
                    continue
                try:
                    with conn.begin():
                        conn.execute(
                            applied.insert(),
                            {"migration_set": mset.name, "name": name, "applied_at": time.time()},
                        )
                        step(conn)
                except IntegrityError:  # another engine applied it meanwhile
                    continue
                ran.append(f"{mset.name}:{name}")
    finally:
        if conn.dialect.name != "sqlite":
            conn.close()
    return ran
