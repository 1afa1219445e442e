"""Test fixtures: every database test runs on SQLite and, when configured, on PostgreSQL.

Set AMITY_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to include
PostgreSQL. Each xdist worker gets its own PostgreSQL database, migrated once; each test starts
from empty tables. SQLite tests copy a migrated template file.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from amity.app import create_app
from amity.auth import service as auth
from amity.auth.models import User
from amity.config import Settings
from amity.core.db import Base, Database, make_engine
from amity.db import upgrade

PG_URL = os.environ.get("AMITY_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"]


def pytest_configure(config: pytest.Config) -> None:
    # the browser fixtures (tests/browser.py) for every test module
    config.pluginmanager.import_plugin("tests.browser")


def pytest_report_header(config: pytest.Config) -> str:
    if PG_URL:
        return f"PostgreSQL tests: ON ({make_url(PG_URL).render_as_string(hide_password=True)})"
    return ("PostgreSQL tests: SKIPPED (set AMITY_TEST_DATABASE_URL to run every database test "
            "on PostgreSQL too)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests (marked e2e) run on SQLite only: what they check is the page in the
    browser, while everything the database does behind those pages is covered by the HTTP-level
    page tests on both databases. AMITY_BROWSER_ALL_DATABASES=1 runs them on both."""
    if os.environ.get("AMITY_BROWSER_ALL_DATABASES"):
        return
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        on_pg = params.get("database") == "postgresql"
        (drop if on_pg and item.get_closest_marker("e2e") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not PG_URL:
        terminalreporter.write_line("NOTE: PostgreSQL tests were skipped: "
                                    "AMITY_TEST_DATABASE_URL is not set.", yellow=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_database_url(worker_id: str) -> Iterator[str]:
    if not PG_URL:
        pytest.skip("PostgreSQL not configured (AMITY_TEST_DATABASE_URL unset)")
    base = make_url(PG_URL).set(drivername="postgresql+psycopg")
    # The process id keeps two test runs on one PostgreSQL server (engineers sharing a machine)
    # from dropping each other's database.
    name = f"amity_test_{worker_id}_{os.getpid()}".replace("-", "_")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # fails loudly if PostgreSQL is unreachable
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# Rows the migrations seed (the default pipeline, its stages, lost reasons): a SQLite test
# starts from a copy of the migrated template and so has them; PostgreSQL tests get them back
# after each truncation, so both databases start every test from the same state.
SEEDED_TABLES = ("pipelines", "stages", "lost_reasons")
_seed_rows: dict[str, list[dict[str, Any]]] = {}


def _seed_snapshot(conn: Any, name: str) -> list[dict[str, Any]]:
    table = Base.metadata.tables[name]
    return sorted((dict(r._mapping) for r in conn.execute(table.select())), key=str)


def _truncate_all(database: Database) -> None:
    """Empty every table but the seeded built-in roles, and put the other seeded rows back as
    they were, so each test starts from the migrated state.

    Only the tables that hold rows are emptied, with DELETE (foreign-key triggers off for the
    transaction, so order does not matter): a TRUNCATE of every table cost seconds per test on a
    loaded machine, as each truncated table gets new files; the probe for rows is one statement.
    Sequences restart too."""
    names = [t.name for t in Base.metadata.sorted_tables]
    probe = " UNION ALL ".join(f"SELECT '{n}' WHERE EXISTS (SELECT 1 FROM \"{n}\")"
                               for n in names)
    with database.engine.begin() as conn:
        if not _seed_rows:
            for name in SEEDED_TABLES:
                _seed_rows[name] = _seed_snapshot(conn, name)
        holding = {r[0] for r in conn.execute(text(probe))}
        changed = [n for n in SEEDED_TABLES if _seed_snapshot(conn, n) != _seed_rows[n]]
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for name in reversed(names):
            if name not in holding or (name in SEEDED_TABLES and name not in changed):
                continue
            if name == "roles":
                conn.execute(text("DELETE FROM roles WHERE builtin IS NOT TRUE"))
            else:
                conn.execute(text(f'DELETE FROM "{name}"'))
        for name in SEEDED_TABLES:
            if name in changed and _seed_rows[name]:
                conn.execute(Base.metadata.tables[name].insert(), _seed_rows[name])
        conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c "
                          "JOIN pg_namespace n ON n.oid = c.relnamespace "
                          "WHERE c.relkind = 'S' AND n.nspname = current_schema()"))


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "amity.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        db = Database(make_engine(f"sqlite:///{path}"))
    else:
        url = request.getfixturevalue("pg_database_url")
        db = Database(make_engine(url, pool_size=5, max_overflow=5))
        _truncate_all(db)
    yield db
    db.dispose()


@pytest.fixture
def backend(database: Database) -> str:
    return database.dialect


@pytest.fixture
def settings(database: Database) -> Settings:
    return Settings(environment="test", database_url=str(database.engine.url),
                    secret_key="test-secret-key-that-is-long-enough-0123456789",
                    default_region="US")


@pytest.fixture
def app(settings: Settings, database: Database) -> Any:
    return create_app(settings, database=database)


def make_user(database: Database, *, admin: bool = False, email: str | None = None,
              password: str | None = "correct horse battery") -> tuple[User, str]:
    with database.transaction() as s:
        user = auth.create_user(s, email=email or f"user-{uuid.uuid4().hex[:8]}@example.com",
                                name="Test User", password=password, is_admin=admin)
        _, token = auth.create_api_token(s, user=user, name="tests")
    return user, token


@pytest.fixture
def admin_user(database: Database) -> tuple[User, str]:
    return make_user(database, admin=True, email="admin@example.com")


@pytest.fixture
def client(app: Any, admin_user: tuple[User, str]) -> Iterator[TestClient]:
    """An HTTP client signed in (bearer token) as an admin."""
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {admin_user[1]}"
        yield c


@pytest.fixture
def anon(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()


@pytest.fixture
def queries(database: Database) -> Iterator[QueryCounter]:
    """Counts SQL statements sent (BEGIN/COMMIT/pragmas excluded)."""
    counter = QueryCounter()

    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        head = statement.strip().split(None, 1)[0].upper() if statement.strip() else ""
        if head not in ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE"):
            counter.statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", _count)
    yield counter
    event.remove(database.engine, "before_cursor_execute", _count)
