"""``amity scoring recompute`` and ``amity sequences list`` against the test database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from amity import cli_scoring
from amity.cli import app
from amity.config import get_settings
from amity.core.db import Database
from tests.factories import make_contact
from tests.scoring.conftest import rule, score_of

runner = CliRunner()


@pytest.fixture
def cli_db(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("AMITY_DATABASE_URL",
                       database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(cli_scoring.console, "width", 200)
    get_settings.cache_clear()
    yield database
    get_settings.cache_clear()


def test_recompute_scores_every_contact(client: Any, cli_db: Database) -> None:
    client.patch("/api/v1/scoring/settings", json={"threshold": 10})
    rule(client, kind="profile", field="job_title", operator="contains", value="CTO",
         points=20)
    a = make_contact(client, first_name="A", job_title="CTO")
    b = make_contact(client, first_name="B", job_title="Intern")
    result = runner.invoke(app, ["scoring", "recompute", "--batch", "1"])
    assert result.exit_code == 0, result.output
    assert "Scored 2 contacts; 1 became hot." in result.output
    assert score_of(cli_db, a["id"]).score == 20  # type: ignore[union-attr]
    assert score_of(cli_db, b["id"]).score == 0  # type: ignore[union-attr]
    again = runner.invoke(app, ["scoring", "recompute"])
    assert "0 became hot" in again.output


def test_sequences_list(client: Any, cli_db: Database) -> None:
    r = client.post("/api/v1/sequences", json={"name": "Welcome", "steps": [
        {"kind": "task", "task_title": "Call"}, {"kind": "wait", "wait_hours": 5}]})
    assert r.status_code == 201, r.text
    c = make_contact(client, first_name="C")
    client.post(f"/api/v1/sequences/{r.json()['id']}/enrol", json={"contact_id": c["id"]})
    result = runner.invoke(app, ["sequences", "list"])
    assert result.exit_code == 0, result.output
    assert "Welcome" in result.output and "task, wait 5h" in result.output
