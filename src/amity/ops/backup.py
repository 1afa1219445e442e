"""Backups and restores of Amity's database, consistent while Amity serves.

SQLite: SQLite's online backup API copies the database page by page into a new file; writers
may go on meanwhile and the copy is the state at one moment. PostgreSQL: ``pg_dump`` in its
custom format (one consistent snapshot, compressed) and ``pg_restore`` back, both of the
server's major version or newer. Each backup writes a manifest beside it (``<file>.json``):
the database kind, the schema revision, each table's row count and the file's SHA-256, so a
restore can refuse a damaged file or a backup taken at another schema revision, and check that
every table came back whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from amity.core.db import Base

MANIFEST_SUFFIX = ".json"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    kind: str
    revision: str | None
    created_at: str
    sha256: str
    tables: dict[str, int]

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__, indent=1, sort_keys=True) + "\n",
                        encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(kind=data["kind"], revision=data["revision"],
                       created_at=data["created_at"], sha256=data["sha256"],
                       tables={str(k): int(v) for k, v in data["tables"].items()})
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise BackupError(f"cannot read the manifest {path}: {e}") from e


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + MANIFEST_SUFFIX)


def _kind(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _libpq_url(url: str) -> str:
    """The URL as libpq (pg_dump, pg_restore) reads it: no SQLAlchemy driver suffix."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _revision(conn: Any) -> str | None:
    """The schema revision (Alembic's) of a SQLAlchemy or a plain sqlite3 connection."""
    query = "SELECT version_num FROM alembic_version"
    try:
        if isinstance(conn, sqlite3.Connection):
            row = conn.execute(query).fetchone()
            return str(row[0]) if row else None
        value = conn.execute(text(query)).scalar()
        return None if value is None else str(value)
    except (sqlite3.Error, DBAPIError):  # no table: an empty, unmigrated database
        return None


def table_counts(engine: Engine) -> dict[str, int]:
    """Row count of every table Amity knows, as the database holds them now."""
    with engine.connect() as conn:
        return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar() or 0)
                for t in Base.metadata.sorted_tables}


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _run(args: list[str]) -> None:
    # the arguments are this module's own: a tool found on PATH, a file name and the URL
    done = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed ({done.returncode}): "
                          f"{done.stderr.strip()[-2000:]}")


def backup(url: str, out: Path) -> Manifest:
    """Write a consistent copy of the database at ``url`` to ``out`` (refusing to overwrite)
    and its manifest beside it."""
    kind = _kind(url)
    out = out.resolve()
    if out.exists():
        raise BackupError(f"{out} exists already; choose a new file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    engine = create_engine(url)
    try:
        if kind == "sqlite":
            source = sqlite3.connect(_sqlite_path(url))
            target = sqlite3.connect(partial)
            try:
                with target:
                    source.backup(target, pages=1024)
                revision = _revision(target)
                counts = {t.name: int(target.execute(
                    f'SELECT count(*) FROM "{t.name}"').fetchone()[0])  # noqa: S608
                    for t in Base.metadata.sorted_tables}
            finally:
                target.close()
                source.close()
        else:
            # count the rows in the very snapshot pg_dump copies: a REPEATABLE READ
            # transaction exports its snapshot and stays open while pg_dump runs in it
            with engine.connect().execution_options(
                    isolation_level="REPEATABLE READ") as conn, conn.begin():
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                revision = _revision(conn)
                counts = {t.name: int(conn.execute(select(func.count()).select_from(t))
                                      .scalar() or 0) for t in Base.metadata.sorted_tables}
                _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                      f"--snapshot={snapshot}", f"--file={partial}", _libpq_url(url)])
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    manifest = Manifest(kind=kind, revision=revision,
                        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                        sha256=_sha256(out), tables=counts)
    manifest.write(manifest_path(out))
    return manifest


def restore(url: str, source: Path, *, check_counts: bool = True) -> Manifest:
    """Replace the database at ``url`` with the backup ``source``. Stop Amity's web and worker
    processes first: a restore replaces everything, and they would keep writing."""
    kind = _kind(url)
    source = source.resolve()
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    manifest = Manifest.read(manifest_path(source))
    if manifest.kind != kind:
        raise BackupError(f"this is a {manifest.kind} backup; the target is {kind}")
    if _sha256(source) != manifest.sha256:
        raise BackupError(f"{source} does not match its manifest's SHA-256: the file is "
                          "damaged or was changed")
    if kind == "sqlite":
        target_path = _sqlite_path(url)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(target_path)
        try:
            with dst:
                src.backup(dst, pages=1024)
        finally:
            dst.close()
            src.close()
    else:
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
              "--single-transaction", "--exit-on-error", f"--dbname={_libpq_url(url)}",
              str(source)])
    engine = create_engine(url)
    try:
        if kind == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        counts = table_counts(engine) if check_counts else manifest.tables
        with engine.connect() as conn:
            revision = _revision(conn)
    finally:
        engine.dispose()
    if revision != manifest.revision:
        raise BackupError(f"restored schema revision {revision} is not the backup's "
                          f"{manifest.revision}")
    if counts != manifest.tables:
        wrong = {k: (manifest.tables.get(k), v) for k, v in counts.items()
                 if manifest.tables.get(k) != v}
        raise BackupError(f"restored row counts differ from the backup's: {wrong}")
    return manifest
