"""CLI tests' shared parts: point the CLI at the test database and run a command in-process."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from amity.cli import app
from amity.config import get_settings
from amity.core.db import Database

runner = CliRunner()


def point_cli_at(database: Database, monkeypatch: pytest.MonkeyPatch, *consoles: Any) -> None:
    """AMITY_DATABASE_URL names the test database (settings re-read); the given Rich consoles
    print at full width, so tables are not cut. Call ``get_settings.cache_clear()`` after."""
    monkeypatch.setenv("AMITY_DATABASE_URL",
                       database.engine.url.render_as_string(hide_password=False))
    for console in consoles:
        monkeypatch.setattr(console, "width", 200)
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    """``amity ARGS`` in-process: its exit code and output. Refusals exit 1 or 2 with a message;
    an exception escaping the command (a crash) fails the test."""
    result = runner.invoke(app, list(args))
    crash = result.exception if not isinstance(result.exception, SystemExit) else None
    assert crash is None, repr(crash)
    return result.exit_code, result.output
