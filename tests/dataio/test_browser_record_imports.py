"""Importing orders on the /imports screen in Chromium at phone width: the entity choice, the
suggested mapping of a Shopify export, the dry run, the run polled by HTMX while the worker
imports, rollback; and the export links."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from amity.config import Settings
from amity.core.db import Database
from amity.jobs.worker import Worker
from tests.browser import E2E, LiveServer, watch
from tests.conftest import make_user
from tests.factories import make_contact
from tests.web.conftest import PASSWORD

pytestmark = E2E
ORDERS = ("Name;Email;Created at;Currency;Lineitem quantity;Lineitem name;Lineitem price\n"
          "#1;ada@example.com;2025-03-01;EUR;2;Pen;1,50\n"
          "#1;;;;1;Pad;2\n"
          "#2;ada@example.com;2025-03-02;EUR;1;Ink;4\n"
          "#3;nobody@example.com;2025-03-02;EUR;1;Ink;4\n")


@pytest.fixture
def live_server(app: Any, database: Database, settings: Settings) -> Iterator[LiveServer]:
    make_user(database, admin=True, email="sam@example.com")
    worker = Worker(database, settings, concurrency=1, housekeeping=True)
    worker.start()
    try:
        with LiveServer(app) as server:
            yield server
    finally:
        worker.stop(timeout=30)


def test_order_import_on_a_phone(browser: Any, live_server: LiveServer, client: TestClient,
                                 tmp_path: Path) -> None:
    from playwright.sync_api import expect

    make_contact(client, emails=[{"email": "ada@example.com"}])
    src = tmp_path / "orders.csv"
    src.write_text(ORDERS, encoding="utf-8-sig")
    page = browser.new_context(base_url=live_server.url,
                               viewport={"width": 390, "height": 844}).new_page()
    problems = watch(page)
    page.goto("/login?next=/imports")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/imports")
    expect(page.get_by_role("link", name="CSV").first).to_be_visible()
    page.get_by_label("File (CSV, XLSX or vCard)").set_input_files(str(src))
    page.get_by_label("The rows are").select_option("orders")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_label("Lineitem quantity")).to_have_value("line_quantity")
    expect(page.get_by_label("Name", exact=True)).to_have_value("order_ref")
    page.get_by_role("button", name="Preview (dry run)").click()
    expect(page.locator("#preview-counts")).to_have_text(
        "Would create 3, update 0, skip 0; 1 row(s) with errors.")
    page.get_by_role("button", name="Run import").click()
    expect(page.locator("#import-status")).to_have_text("done", timeout=60_000)
    expect(page.locator("#import-counts")).to_contain_text("created 2")
    expect(page.locator("#errors-link")).to_be_visible()
    assert len(client.get("/api/v1/orders").json()["items"]) == 2
    page.locator("#rollback").click()
    expect(page.locator("#import-status")).to_have_text("rolled_back", timeout=60_000)
    assert client.get("/api/v1/orders").json()["items"] == []
    assert problems == []
