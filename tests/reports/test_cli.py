"""``amity reports`` on the analytics data set (SQLite: the queries are the API's, tested on
both databases in test_reports_api.py)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from amity.cli_reports import reports_app
from amity.config import get_settings
from amity.core.db import Database
from tests.analytics.dataset import build
from tests.reports.test_reports_api import usd_orders_by_month


@pytest.fixture
def cli_env(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AMITY_DATABASE_URL",
                       database.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_list_run_export(client: Any, database: Database, cli_env: None,
                         tmp_path: Path) -> None:
    build(database)
    rid = client.post("/api/v1/reports", json={"name": "USD orders",
                                               "definition": usd_orders_by_month()}).json()["id"]
    runner = CliRunner()
    out = runner.invoke(reports_app, ["list"], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert rid in out.output and "USD" in out.output
    out = runner.invoke(reports_app, ["run", rid, "--tz", "America/New_York"],
                        terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "│ 2025-12-01      │     3 │       310.00 │        10.00 │        200.00 │" in out.output
    target = tmp_path / "r.csv"
    out = runner.invoke(reports_app, ["export", rid, "-o", str(target), "--tz", "UTC"])
    assert out.exit_code == 0, out.output
    assert list(csv.reader(target.open()))[3] == ["2026-01-01", "4", "1119.00", "10.00",
                                                 "999.00"]
    xlsx = tmp_path / "r.xlsx"
    assert runner.invoke(reports_app, ["export", rid, "-o", str(xlsx), "--format",
                                       "xlsx"]).exit_code == 0
    sheet = load_workbook(xlsx).active
    assert sheet is not None and sheet["A1"].value == "Ordered (month)"
    bad = runner.invoke(reports_app, ["run", "not-an-id"])
    assert bad.exit_code == 2 and "No saved report" in bad.output
    bad = runner.invoke(reports_app, ["run", rid, "--as", "nobody@example.com"])
    assert bad.exit_code == 2 and "No user" in bad.output
