"""Browser tests' shared parts: Debian's Chromium driven by Playwright, a live uvicorn server.

A real uvicorn server runs in a background thread on 127.0.0.1 (a free port) against the test
database. Screenshots go to artifacts/screenshots/. Needs /usr/bin/chromium (Debian package
``chromium``); browser tests are skipped with a reason when it is missing, except when
AMITY_REQUIRE_CHROMIUM is set (CI), where a missing browser fails the run.

Use ``pytestmark = E2E`` in a browser test module, the ``browser`` fixture (one Chromium per
module) and ``live_server`` (both registered by tests/conftest.py), ``open_page`` for a page
whose script errors and failed requests are collected, and ``sign_in`` for the sign-in form.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from amity.core.db import Database
from tests.web.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}

MISSING = "browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium)"
REQUIRED = bool(os.environ.get("AMITY_REQUIRE_CHROMIUM"))
E2E = [pytest.mark.e2e, pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRED, reason=MISSING)]


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
    """The app served live with an administrator, sam@example.com, and three contacts."""
    from amity.contacts.schemas import ContactCreate
    from amity.contacts.service import create_contact
    from tests.conftest import make_user

    # an administrator: the journeys use every field (personal notes are sensitive)
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


def watch(page: Any, expected_statuses: Iterable[int] = (), *, console: bool = True) -> list[str]:
    """Collect the page's script errors and (with ``console``) its console errors (a CSP
    violation, a 404 asset ...) into the returned list; console errors about an expected HTTP
    status are left out."""
    problems: list[str] = []
    codes = tuple(expected_statuses)

    def on_console(message: Any) -> None:
        if message.type == "error" and not any(f"status of {c}" in message.text for c in codes):
            problems.append(message.text)

    if console:
        page.on("console", on_console)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


@contextmanager
def open_page(browser: Any, base_url: str, *, size: str = "desktop",
              viewport: dict[str, int] | None = None, expected_statuses: Iterable[int] = (),
              console: bool = True, **context_options: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page in a new browser context at a phone or desktop width, with its problems list
    (see ``watch``); the context is closed afterwards."""
    context = browser.new_context(viewport=viewport or VIEWPORTS[size], base_url=base_url,
                                  **context_options)
    try:
        page = context.new_page()
        yield page, watch(page, expected_statuses, console=console)
    finally:
        context.close()


def sign_in(page: Any, base_url: str, *, email: str = "sam@example.com",
            password: str = PASSWORD, lands_on: str = "/contacts") -> None:
    """Sign in through the form and wait for the page it lands on."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}{lands_on}")


def shot(page: Any, backend: str, size: str, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{backend}-{size}-{name}.png"), full_page=True)
