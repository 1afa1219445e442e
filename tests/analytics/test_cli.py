"""``amity analytics`` on dataset.py (SQLite: the queries are the API's, tested on both)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from amity.cli_analytics import analytics_app
from amity.config import get_settings
from amity.core.db import Database
from tests.analytics.dataset import build


@pytest.fixture
def cli_env(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AMITY_DATABASE_URL",
                       database.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_kpis_sales_and_rfm_from_the_command_line(database: Database, cli_env: None) -> None:
    build(database)
    runner = CliRunner()
    out = runner.invoke(analytics_app, ["kpis", "--from", "2026-01-01", "--to", "2026-01-31",
                                        "--tz", "America/New_York", "--currency", "USD",
                                        "--window-days", "30"], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "Retention rate" in out.output and "0.6667" in out.output and "135.00" in out.output
    out = runner.invoke(analytics_app, ["sales", "--by", "category", "--currency", "USD"],
                        terminal_width=200)
    assert out.exit_code == 0, out.output
    # Tea: A 100 + 50, C 40; Cups: B 200, C 60, D 10 + 25 (USD, counted orders)
    assert "total 485.00" in out.output
    assert "│ Tea      │ 3      │ 3     │ 190.00 │" in out.output
    assert "│ Cups     │ 4      │ 4     │ 295.00 │" in out.output
    out = runner.invoke(analytics_app, ["refresh-rfm", "--currency", "USD"])
    assert out.exit_code == 0 and "Scored 4 customers" in out.output, out.output
    out = runner.invoke(analytics_app, ["rfm"], terminal_width=200)
    assert "hibernating" in out.output and "computed" in out.output
    bad = runner.invoke(analytics_app, ["kpis", "--tz", "Nowhere/Land"])
    assert bad.exit_code == 2 and "Unknown time zone" in bad.output
