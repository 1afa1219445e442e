"""The web UI in a real browser: Debian's Chromium driven by Playwright, phone and desktop widths.

A real uvicorn server runs in a background thread on 127.0.0.1 (a free port) against the test
database (SQLite, and PostgreSQL when configured). Screenshots go to artifacts/screenshots/.
Needs /usr/bin/chromium (Debian package ``chromium``); skipped with a reason when it is missing,
except when AMITY_REQUIRE_CHROMIUM is set (CI), where a missing browser fails the run.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from amity.contacts.schemas import ContactCreate
from amity.contacts.service import create_contact
from amity.core.db import Database
from tests.conftest import make_user
from tests.web.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# The failed sign-in (401) and the bad email (422) are expected; anything else (a CSP
# violation, a script error, a 404 asset) fails the test.
EXPECTED_STATUSES = (401, 422)
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}

MISSING = "browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium)"
REQUIRED = bool(os.environ.get("AMITY_REQUIRE_CHROMIUM"))

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRED, reason=MISSING),
]


class LiveServer:
    """uvicorn serving ``app`` from a thread, on a socket bound before the thread starts."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True, name="uvicorn-e2e")

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()


@pytest.fixture
def live_server(app: Any, database: Database) -> Iterator[LiveServer]:
    # an administrator: the journey below uses every field (personal notes are sensitive)
    user, _ = make_user(database, admin=True, email="sam@example.com")
    seed = [("Grace", "Hopper", "customer", ["vip"], "grace@example.com"),
            ("Linus", "Baker", "lead", ["wholesale", "weekly"], "linus@example.org"),
            ("Margaret", "Hamilton", "opportunity", [], "margaret.hamilton@example.net")]
    with database.transaction() as s:
        for first, last, stage, tags, email in seed:
            create_contact(s, data=ContactCreate.model_validate(
                {"first_name": first, "last_name": last, "lifecycle_stage": stage, "tags": tags,
                 "emails": [{"email": email}], "phones": [{"number": "+1 415 555 0123"}]}),
                actor=user)
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"AMITY_REQUIRE_CHROMIUM is set but {MISSING}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _shot(page: Any, backend: str, size: str, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{backend}-{size}-{name}.png"), full_page=True)


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_sign_in_create_note_and_search(browser: Any, live_server: LiveServer, backend: str,
                                        size: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORTS[size], base_url=live_server.url)
    page = context.new_page()
    problems: list[str] = []
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and not any(
        f"status of {code}" in m.text for code in EXPECTED_STATUSES) else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        # Signed out: the list sends us to sign in, then back.
        page.goto("/contacts")
        expect(page).to_have_url(f"{live_server.url}/login?next=/contacts")
        _shot(page, backend, size, "1-login")
        page.get_by_label("Email").fill("sam@example.com")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("do not match")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{live_server.url}/contacts")
        expect(page.locator("tr.contact-row")).to_have_count(3)
        nav = page.locator("nav.mainnav").bounding_box()
        assert nav is not None
        if size == "phone":  # the nav is a bottom bar on phones
            assert nav["y"] + nav["height"] >= VIEWPORTS[size]["height"] - 2
        else:
            assert nav["y"] < 60
        row_display = page.locator("tr.contact-row").first.evaluate(
            "e => getComputedStyle(e).display")
        assert row_display == ("grid" if size == "phone" else "table-row")  # cards on phones
        _shot(page, backend, size, "2-list")

        # A new contact: first a bad email (422 shown inline), then fixed.
        page.get_by_role("link", name="New contact").click()
        page.get_by_label("First name").fill("Ada")
        page.get_by_label("Last name").fill("Lovelace <b>")
        page.get_by_label("Email").fill("ada-at-example")
        page.get_by_label("Phone").fill("(415) 555-0100")
        page.get_by_label("Lifecycle stage").select_option("customer")
        page.get_by_label("Tags").fill("vip, bakes")
        page.get_by_label("Personal notes").fill("Allergic to nuts.\nDaughter's wedding in June.")
        page.get_by_role("button", name="Create contact").click()
        expect(page.locator("#email-error")).to_be_visible()
        _shot(page, backend, size, "3-new-contact-error")
        page.get_by_label("Email").fill("ada@example.com")
        page.get_by_role("button", name="Create contact").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Ada Lovelace <b>")
        expect(page.locator(".personal-notes")).to_contain_text("Allergic to nuts.")

        # Notes are added without a page load and prepended; markup shows as text.
        page.evaluate("window.__sameDocument = true")
        for body in ("Called about the birthday cake", "<script>alert(1)</script>"):
            page.get_by_label("Add a note").fill(body)
            page.get_by_role("button", name="Add note").click()
            expect(page.locator("#timeline .timeline-item").first).to_contain_text(body)
            expect(page.get_by_label("Add a note")).to_have_value("")
        expect(page.locator("#timeline .timeline-item")).to_have_count(2)
        expect(page.locator("#timeline-h .count")).to_have_text("2 notes")
        assert page.evaluate("window.__sameDocument") is True
        _shot(page, backend, size, "4-contact")
        page.reload()
        expect(page.locator("#timeline .timeline-item")).to_have_count(2)

        # Live search with a misspelled name.
        page.get_by_role("link", name="Contacts", exact=True).first.click()
        expect(page.locator("tr.contact-row")).to_have_count(4)
        page.get_by_role("searchbox").press_sequentially("lovelase", delay=40)
        expect(page.locator("tr.contact-row")).to_have_count(1)
        expect(page.locator("tr.contact-row")).to_contain_text("Ada Lovelace")
        expect(page).to_have_url(f"{live_server.url}/contacts?q=lovelase")
        _shot(page, backend, size, "5-search")
        page.emulate_media(color_scheme="dark")
        _shot(page, backend, size, "6-search-dark")
        page.emulate_media(color_scheme="light")

        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(f"{live_server.url}/login")
        assert problems == [], problems
    finally:
        context.close()
