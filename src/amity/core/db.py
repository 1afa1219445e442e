"""Engines, sessions and the declarative base for SQLite and PostgreSQL.

SQLite runs in WAL mode with foreign keys on and a busy timeout; write sessions open their
transaction with ``BEGIN IMMEDIATE`` so concurrent writers queue on the lock instead of failing
with "database is locked" when a deferred transaction tries to upgrade.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Engine,
    MetaData,
    Numeric,
    String,
    TypeDecorator,
    Uuid,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite keeps no offset by itself)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Amity stores timezone-aware times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Fixed(TypeDecorator[Decimal]):
    """An exact decimal with ``scale`` places, stored as a scaled 64-bit integer.

    SQLite has no decimal type (its NUMERIC is a float), so money and quantities are kept as
    integers of the smallest unit on both databases: ``SUM`` stays exact, 0.10 + 0.20 is 0.30,
    and PostgreSQL's integer aggregates are faster than numeric ones. A value with more places
    than the scale is refused rather than rounded silently (services round explicitly).
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        self.scale = scale

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value).scaleb(self.scale)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.scale)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        uuid.UUID: Uuid(),
        datetime: UTCDateTime(),
        date: Date(),
        Decimal: Numeric(18, 2),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        str: String(),
    }


def _sqlite_pragmas(dbapi_conn: Any, _record: Any, busy_ms: int) -> None:
    # pysqlite's own transaction handling is switched off; we emit BEGIN ourselves.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10,
                busy_timeout_ms: int = 15000, echo: bool = False,
                statement_timeout_ms: int = 0, pool_timeout_s: float = 30.0) -> Engine:
    """Create an engine configured the way Amity needs for this URL's database.

    ``statement_timeout_ms`` (PostgreSQL) cancels a runaway statement server-side, set once per
    connection through the startup options so it costs no round trip per request."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False,
                                                             "timeout": busy_timeout_ms / 1000})
        event.listen(engine, "connect",
                     lambda c, r: _sqlite_pragmas(c, r, busy_timeout_ms))

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            mode = "IMMEDIATE" if conn.get_execution_options().get("amity_write") else "DEFERRED"
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    connect_args: dict[str, Any] = {}
    if statement_timeout_ms:
        connect_args["options"] = f"-c statement_timeout={int(statement_timeout_ms)}"
    return create_engine(url, echo=echo, pool_size=pool_size, max_overflow=max_overflow,
                         pool_timeout=pool_timeout_s, pool_pre_ping=True,
                         connect_args=connect_args)


class Database:
    """An engine plus the two session factories: reads (deferred) and writes (immediate)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._read = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
        self._write = sessionmaker(bind=engine.execution_options(amity_write=True),
                                   expire_on_commit=False, autoflush=True)

    def session(self, *, write: bool = True) -> Session:
        return (self._write if write else self._read)()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A unit of work: commit on success, roll back on any error."""
        s = self.session(write=write)
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
