"""Semantic search on the global search page ("Related notes and conversations") and on the
command line (``amity semantic index|search``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from amity import cli_semantic
from amity.cli import app
from amity.config import get_settings
from amity.core.db import Database
from amity.semantic import encoder
from amity.semantic.index import refresh_embeddings
from tests.factories import make_contact
from tests.web.conftest import signed_in, web, web_user

__all__ = ["signed_in", "web", "web_user"]
runner = CliRunner()


def _notes(client: TestClient) -> None:
    c = make_contact(client, first_name="Anna", last_name="Berg")
    for body in ("My daughter is getting married in June",
                 "Asked for a quote on printer toner"):
        assert client.post(f"/api/v1/contacts/{c['id']}/notes",
                           json={"body": body}).status_code == 201


@pytest.mark.skipif(not encoder.available(), reason="the semantic extra is not installed")
def test_search_page_shows_related_notes(client: TestClient, signed_in: TestClient,
                                         database: Database) -> None:
    _notes(client)
    with database.transaction() as s:
        refresh_embeddings(s)
    page = signed_in.get("/search", params={"q": "wedding"})
    assert page.status_code == 200 and 'hx-get="/search/related?q=wedding"' in page.text
    part = signed_in.get("/search/related", params={"q": "wedding"})
    assert part.status_code == 200 and "By meaning" in part.text
    assert "getting married in June" in part.text and "toner" not in part.text


def test_related_falls_back_to_keywords(client: TestClient, signed_in: TestClient,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _notes(client)
    monkeypatch.setattr(encoder, "available", lambda: False)
    part = signed_in.get("/search/related", params={"q": "printer"})
    assert part.status_code == 200 and "By keywords" in part.text and "toner" in part.text
    none = signed_in.get("/search/related", params={"q": "wedding"})
    assert "No note or conversation seems to be about" in none.text


@pytest.fixture
def cli_db(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("AMITY_DATABASE_URL",
                       database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(cli_semantic.console, "width", 250)
    get_settings.cache_clear()
    yield database
    get_settings.cache_clear()


@pytest.mark.skipif(not encoder.available(), reason="the semantic extra is not installed")
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_cli_index_and_search(client: TestClient, cli_db: Database) -> None:
    _notes(client)
    r = runner.invoke(app, ["semantic", "index"])
    assert r.exit_code == 0 and "Embedded 2 texts" in r.output, r.output
    r = runner.invoke(app, ["semantic", "search", "who mentioned a wedding?"])
    assert r.exit_code == 0 and "by meaning" in r.output and "married" in r.output
    assert "toner" not in r.output
    r = runner.invoke(app, ["semantic", "search", "toner", "--keyword"])
    assert r.exit_code == 0 and "by keywords" in r.output and "toner" in r.output
