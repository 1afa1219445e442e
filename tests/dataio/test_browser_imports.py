"""The /imports screen in Chromium: upload, mapping form, dry run, run with the progress bar
polled by HTMX while the embedded worker imports, the error file link, rollback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from amity.config import Settings
from amity.core.db import Database
from amity.jobs.worker import Worker
from tests.browser import E2E, LiveServer, watch
from tests.conftest import make_user
from tests.web.conftest import PASSWORD

pytestmark = E2E
ROWS = "\n".join(["First Name;Last Name;E-mail Address;Mobile Phone"] + [
    f"person{i};LAST{i};p{i}@example.com;415 555 {i:04d}" for i in range(120)] +
    ["Bad;Row;nope;"])


@pytest.fixture
def live_server(app: Any, database: Database, settings: Settings) -> Iterator[LiveServer]:
    """The web server plus a worker, as `amity serve` runs them."""
    make_user(database, admin=True, email="sam@example.com")
    worker = Worker(database, settings, concurrency=1, housekeeping=True)
    worker.start()
    try:
        with LiveServer(app) as server:
            yield server
    finally:
        worker.stop(timeout=30)


def test_import_screen_in_browser(browser: Any, live_server: LiveServer,
                                  tmp_path: Path) -> None:
    from playwright.sync_api import expect

    src = tmp_path / "people.csv"
    src.write_text(ROWS, encoding="utf-8")
    page = browser.new_context(base_url=live_server.url).new_page()
    problems = watch(page)
    page.goto("/login?next=/contacts")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/contacts")
    page.locator("#import-contacts").click()
    page.get_by_label("File (CSV, XLSX or vCard)").set_input_files(str(src))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_label("Mobile Phone")).to_have_value("phone:mobile")
    page.get_by_role("button", name="Preview (dry run)").click()
    expect(page.locator("#preview-counts")).to_have_text(
        "Would create 120, update 0, skip 0; 1 row(s) with errors.")
    page.get_by_role("button", name="Run import").click()
    expect(page.locator("#import-status")).to_have_text("done", timeout=60_000)
    expect(page.locator("#import-counts")).to_contain_text("created 120")
    expect(page.locator("#errors-link")).to_be_visible()
    page.locator("#rollback").click()
    expect(page.locator("#import-status")).to_have_text("rolled_back", timeout=60_000)
    page.goto("/contacts")
    expect(page.locator("tr.contact-row")).to_have_count(0)
    assert problems == []
