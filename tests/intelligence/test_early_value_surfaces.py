"""Early-value signals through the API, the settings page and the command line: the job
stores the report, the API and the page read it, the segment lists the customers inside
their window who lack a signal, within the reader's scope; bad input is a 422."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from amity import cli_early_value
from amity.cli import app
from amity.config import Settings, get_settings
from amity.core.db import Database
from amity.intelligence.early_value_report import analyse_early_value
from amity.jobs.worker import run_until_idle
from tests.conftest import make_user
from tests.factories import assert_problem
from tests.intelligence.early_value_data import AT, LIFT, seed_early
from tests.web.conftest import page_csrf, signed_in, web, web_user

__all__ = ["signed_in", "web", "web_user"]
runner = CliRunner()


def test_api_report_refresh_and_segment(client: TestClient, app: Any, database: Database,
                                        settings: Settings) -> None:
    empty = client.get("/api/v1/intelligence/early-value")
    assert empty.status_code == 200 and empty.json()["computed"] is False
    groups = seed_early(database)
    r = client.post("/api/v1/intelligence/early-value/refresh", json={"window_days": 90})
    assert r.status_code == 202
    assert_problem(client.post("/api/v1/intelligence/early-value/refresh",
                               json={"window_days": 3}), 422)
    run_until_idle(database, settings)  # the job runs at today's date: new customers only
    with database.transaction() as s:  # the known history, as of AT
        analyse_early_value(s, currency="USD", base=None, at=AT)
    body = client.get("/api/v1/intelligence/early-value").json()
    assert body["computed"] and body["status"] == "fitted" and body["customers"] == 40
    top = body["signals"][0]
    assert top["key"] in ("categories_2", "repeat_orders") and top["significant"]
    assert top["lift"] == pytest.approx(LIFT) and top["lift_ci"][0] > 1
    assert top["sentence"].startswith("Customers who")
    # the segment is "now": everybody in the data set started long ago except the new ones
    seg = client.get("/api/v1/intelligence/early-value/customers",
                     params={"signal": "categories_2", "has": "false"})
    assert seg.status_code == 200, seg.text
    assert seg.json()["items"] == []  # AT is in the past: nobody is inside a window today
    assert_problem(client.get("/api/v1/intelligence/early-value/customers",
                              params={"signal": "bogus"}), 422)
    assert_problem(client.get("/api/v1/intelligence/early-value/customers",
                              params={"signal": "referral", "cursor": "nonsense"}), 422)
    _, token = make_user(database)
    with TestClient(app) as other:
        other.headers["Authorization"] = f"Bearer {token}"
        assert other.post("/api/v1/intelligence/early-value/refresh").status_code == 403
    assert groups["broad"]


def test_segment_of_customers_inside_their_window(client: TestClient, database: Database,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    groups = seed_early(database)
    monkeypatch.setattr("amity.api.v1.early_value.now", lambda: AT)
    lacking = client.get("/api/v1/intelligence/early-value/customers",
                         params={"signal": "categories_2", "has": "false", "limit": 1}).json()
    assert [i["contact_id"] for i in lacking["items"]] == [str(groups["new_narrow"][0])]
    assert lacking["items"][0]["days_left"] == 80 and lacking["items"][0]["categories"] == 1
    more = client.get("/api/v1/intelligence/early-value/customers",
                      params={"signal": "categories_2", "has": "false", "limit": 1,
                              "cursor": lacking["next_cursor"]}).json()
    assert [i["contact_id"] for i in more["items"]] == [str(groups["new_narrow"][1])]
    showing = client.get("/api/v1/intelligence/early-value/customers",
                         params={"signal": "categories_2", "has": "true"}).json()
    assert [i["contact_id"] for i in showing["items"]] == [str(groups["new_broad"][0])]


def test_settings_page(signed_in: TestClient, database: Database,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    empty = signed_in.get("/settings/early-value")
    assert empty.status_code == 200 and 'data-testid="ev-empty"' in empty.text
    groups = seed_early(database)
    with database.transaction() as s:
        analyse_early_value(s, currency="USD", base=None, at=AT)
    page = signed_in.get("/settings/early-value")
    assert page.status_code == 200 and 'data-testid="ev-table"' in page.text
    assert "2.1 times the first-year value" in page.text and "40 customers" in page.text
    # the top-quarter lift of the two broad signals: 2 of 20 on top without them, so some
    # resamples have nobody there and the interval has no upper limit (the lower limit moves
    # with the resamples, which follow the customers' random ids)
    assert len(re.findall(r"<td>5\.00 \(\d+\.\d\d.no upper limit\)</td>", page.text)) == 2
    monkeypatch.setattr("amity.web.routes.early_value.now", lambda: AT)
    part = signed_in.get("/settings/early-value/customers",
                         params={"signal": "categories_2", "has": "no"})
    assert part.status_code == 200 and "NewNarrow0" in part.text and "NewBroad" not in part.text
    assert f"/contacts/{groups['new_narrow'][0]}" in part.text
    token = page_csrf(signed_in, "/settings/early-value")
    r = signed_in.post("/settings/early-value/refresh", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].endswith("queued=1")
    assert signed_in.post("/settings/early-value/refresh", data={}).status_code in (400, 403)


@pytest.fixture
def cli_db(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setenv("AMITY_DATABASE_URL",
                       database.engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(cli_early_value.console, "width", 250)
    get_settings.cache_clear()
    yield database
    get_settings.cache_clear()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_cli(cli_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    r = runner.invoke(app, ["intelligence", "early-value", "report"])
    assert r.exit_code == 0 and "Not computed yet" in r.output
    seed_early(cli_db)
    with cli_db.transaction() as s:
        analyse_early_value(s, currency="USD", base=None, at=AT)
    r = runner.invoke(app, ["intelligence", "early-value", "report"])
    assert r.exit_code == 0, r.output
    assert "early-value-1: fitted, 40 customers" in r.output and "categories_2" in r.output
    assert "2.1 times the first-year value" in r.output
    monkeypatch.setattr(cli_early_value, "now", lambda: AT)
    r = runner.invoke(app, ["intelligence", "early-value", "customers",
                            "--signal", "categories_2", "--lacks"])
    assert r.exit_code == 0 and "NewNarrow0" in r.output and "NewBroad" not in r.output
    r = runner.invoke(app, ["intelligence", "early-value", "customers", "--signal", "nope"])
    assert r.exit_code != 0
