"""``amity intelligence refresh|models|at-risk|contact-times`` against the test database."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from amity import cli_intelligence
from amity.cli import app
from amity.config import get_settings
from amity.core.db import Database
from tests.intelligence.conftest import seed_business

runner = CliRunner()


@pytest.fixture
def cli_db(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("AMITY_DATABASE_URL",
                       database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(cli_intelligence.console, "width", 250)
    get_settings.cache_clear()
    yield database
    get_settings.cache_clear()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_refresh_then_look(cli_db: Database) -> None:
    empty = runner.invoke(app, ["intelligence", "refresh"])
    assert empty.exit_code == 0, empty.output
    assert "clv-1: insufficient" in empty.output and "Scored 0 customers" in empty.output
    seed_business(cli_db, days=400)
    # the wall clock is later than the seeded history: everyone has lapsed by now, which is
    # itself a path worth running (churn risk is null for lapsed customers)
    done = runner.invoke(app, ["intelligence", "refresh", "--threshold", "0.6"])
    assert done.exit_code == 0, done.output
    assert "Scored 120 customers" in done.output
    assert re.search(r"Seconds: read [\d.]+, fit [\d.]+, score [\d.]+, write [\d.]+",
                     done.output), done.output
    shown = runner.invoke(app, ["intelligence", "models"])
    assert shown.exit_code == 0 and "clv-2" in shown.output and "churn-2" in shown.output
    risky = runner.invoke(app, ["intelligence", "at-risk", "--limit", "3"])
    assert risky.exit_code == 0 and "Contact" in risky.output
    times = runner.invoke(app, ["intelligence", "contact-times"])
    assert times.exit_code == 0 and "Best hours updated for" in times.output
    bad = runner.invoke(app, ["intelligence", "refresh", "--threshold", "7"])
    assert bad.exit_code != 0
