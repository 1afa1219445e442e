"""Where generated rows go: COPY on PostgreSQL, executemany on SQLite.

Rows are tuples in the column order given with them, holding Python values as the models do
(UUID, aware datetimes, Decimal money, lists and dicts for JSON). The SQLite writer passes them
through SQLAlchemy Core (its type processing: UUIDs as hex, money as scaled integers, naive UTC
times). The PostgreSQL writer converts only what COPY cannot take as is (money to scaled
integers, JSON to text) and streams rows with psycopg's ``COPY ... FROM STDIN``.

On PostgreSQL a large load drops the loaded tables' plain indexes first and builds them again at
the end (one sorted build is many times faster than millions of B-tree and trigram inserts), and
skips the per-row foreign-key triggers when the role may (``session_replication_role``): the
generator only writes references it has made. All of it happens in one transaction: a failed
load leaves the database as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import JSON, Connection, Table, TypeDecorator, text
from sqlalchemy.engine import Dialect

from amity.core.db import Fixed

Row = tuple[Any, ...]


class SeedError(Exception):
    """The data cannot be written (a bad plan or an unsuitable database)."""


class Writer(Protocol):
    def write(self, table: Table, columns: Sequence[str], rows: list[Row]) -> None: ...


def check_columns(table: Table, columns: Sequence[str]) -> None:
    """Every NOT NULL column without a server default must be given: a forgotten column would
    otherwise fail deep inside COPY, or worse, take a value the models never write."""
    unknown = [c for c in columns if c not in table.c]
    missing = [c.name for c in table.c if not c.nullable and c.server_default is None
               and c.name not in columns and not (c.primary_key and c.autoincrement is True
                                                  and not c.foreign_keys)]
    if unknown or missing:
        raise SeedError(f"{table.name}: unknown columns {unknown}, missing {missing}")


class SqliteWriter:
    """``executemany`` through SQLAlchemy Core, inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def write(self, table: Table, columns: Sequence[str], rows: list[Row]) -> None:
        if rows:
            self.conn.execute(table.insert(), [dict(zip(columns, r, strict=True)) for r in rows])


def _pg_converter(col_type: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    if isinstance(col_type, Fixed):
        fixed: Fixed = col_type
        return lambda v: fixed.process_bind_param(v, dialect)
    if isinstance(col_type, TypeDecorator):
        return None  # UTCDateTime: the generator's values are aware UTC datetimes already
    if isinstance(col_type, JSON) or getattr(col_type, "_variant_mapping", None):
        return lambda v: None if v is None else json.dumps(v)
    return None


class PostgresCopyWriter:
    """``COPY table (columns) FROM STDIN`` with psycopg, inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        raw = conn.connection.driver_connection
        if raw is None:
            raise SeedError("no PostgreSQL connection")
        self.raw: Any = raw
        self._conv: dict[tuple[str, tuple[str, ...]], list[Callable[[Any], Any] | None]] = {}

    def _converters(self, table: Table, columns: Sequence[str]
                    ) -> list[Callable[[Any], Any] | None]:
        key = (table.name, tuple(columns))
        if key not in self._conv:
            self._conv[key] = [_pg_converter(table.c[c].type, self.dialect) for c in columns]
        return self._conv[key]

    def write(self, table: Table, columns: Sequence[str], rows: list[Row]) -> None:
        if not rows:
            return
        conv = self._converters(table, columns)
        idx = [(i, f) for i, f in enumerate(conv) if f is not None]
        cols = ", ".join(f'"{c}"' for c in columns)
        with self.raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as cp:
            if idx:
                for r in rows:
                    row = list(r)
                    for i, f in idx:
                        row[i] = f(row[i])
                    cp.write_row(row)
            else:
                for r in rows:
                    cp.write_row(r)


def drop_plain_indexes(conn: Connection, tables: Sequence[str]) -> list[str]:
    """Drop the indexes of these tables that back no constraint; returns their definitions,
    for :func:`create_indexes` after the load."""
    rows = conn.execute(text(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class t ON t.oid = i.indrelid "
        "WHERE t.relname = ANY(:tables) AND t.relnamespace = current_schema()::regnamespace "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"),
        {"tables": list(tables)}).all()
    for name, _ in rows:
        conn.execute(text(f"DROP INDEX {name}"))
    return [definition for _, definition in rows]


def create_indexes(conn: Connection, definitions: list[str]) -> None:
    conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    for definition in definitions:
        conn.execute(text(definition))


def skip_fk_triggers(conn: Connection) -> bool:
    """Turn off the per-row foreign-key checks for this transaction if the role is allowed to
    (a superuser); returns whether it did."""
    allowed = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
    if not allowed.scalar():
        return False
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    return True
