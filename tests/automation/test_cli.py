"""``amity workflows``: list, enable, disable and dry-run from a terminal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from amity import cli_automation
from amity.automation.models import WorkflowRun
from amity.cli import app
from amity.config import get_settings
from amity.core.db import Database
from tests.automation.conftest import flow
from tests.factories import make_contact

runner = CliRunner()


@pytest.fixture
def cli_env(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AMITY_DATABASE_URL",
                       database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(cli_automation.console, "width", 200)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_list_enable_disable_and_dry_run(client: Any, database: Database,
                                         cli_env: None) -> None:
    w = flow(client, {"type": "event", "event": "deal.won"}, [{"type": "add_tag", "tag": "x"}],
             conditions={"rules": [{"type": "tag", "tag": "vip"}]}, enabled=False,
             name="VIP won")
    make_contact(client, first_name="Vera", tags=["vip"])
    make_contact(client, first_name="Plain")
    code, out = run("workflows", "list")
    assert code == 0 and "VIP won" in out and "deal.won" in out and "no" in out
    code, out = run("workflows", "enable", "vip won")
    assert code == 0 and "enabled" in out
    assert client.get(f"/api/v1/workflows/{w['id']}").json()["enabled"] is True
    code, out = run("workflows", "disable", w["id"])
    assert code == 0 and client.get(f"/api/v1/workflows/{w['id']}").json()["enabled"] is False
    code, out = run("workflows", "dry-run", "VIP won")
    assert code == 0 and "1 contact(s) match now" in out and "Vera" in out
    assert "Plain" not in out
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(WorkflowRun)) == 0
    code, out = run("workflows", "enable", "nope")
    assert code == 2 and "No workflow nope" in out
