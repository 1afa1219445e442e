"""``amity data-quality report`` prints the same figures as the API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from amity import cli_dataquality
from amity.cli import app
from amity.config import get_settings
from amity.core.db import Database


@pytest.fixture
def cli_env(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AMITY_DATABASE_URL",
                       database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(cli_dataquality.console, "width", 200)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_report(people: dict[str, str], cli_env: None) -> None:
    result = CliRunner().invoke(app, ["data-quality", "report"])
    out = result.output
    assert result.exit_code == 0, out
    assert "Contacts: 4" in out and "Average score: 60.5 / 100 (1 below 50)" in out
    assert "Without email or phone: 1; stale (180 days): 1" in out
    assert "Invalid: email 1, phone 1, birthday 1" in out
    assert "Open duplicate suggestions: 1" in out and "Unused custom fields: nickname2" in out
    seg = CliRunner().invoke(app, ["data-quality", "report", "--tag", "vip"]).output
    assert "Contacts tagged vip: 2" in seg and "Average score: 57.0" in seg
