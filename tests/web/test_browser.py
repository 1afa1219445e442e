"""The web UI in a real browser (tests/browser.py): sign in, the contact list as a table on a
desktop and as cards on a phone, a new contact with an inline error, notes added in place, live
search with a misspelled name, sign out. SQLite, and PostgreSQL when configured."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import E2E, VIEWPORTS, LiveServer, open_page, shot
from tests.web.conftest import PASSWORD

# The failed sign-in (401) and the bad email (422) are expected; anything else (a CSP
# violation, a script error, a 404 asset) fails the test.
EXPECTED_STATUSES = (401, 422)

pytestmark = E2E


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_sign_in_create_note_and_search(browser: Any, live_server: LiveServer, backend: str,
                                        size: str) -> None:
    from playwright.sync_api import expect

    with open_page(browser, live_server.url, size=size,
                   expected_statuses=EXPECTED_STATUSES) as (page, problems):
        page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        # Signed out: the list sends us to sign in, then back.
        page.goto("/contacts")
        expect(page).to_have_url(f"{live_server.url}/login?next=/contacts")
        shot(page, backend, size, "1-login")
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
        shot(page, backend, size, "2-list")

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
        shot(page, backend, size, "3-new-contact-error")
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
        shot(page, backend, size, "4-contact")
        page.reload()
        expect(page.locator("#timeline .timeline-item")).to_have_count(2)

        # Live search with a misspelled name.
        page.get_by_role("link", name="Contacts", exact=True).first.click()
        expect(page.locator("tr.contact-row")).to_have_count(4)
        page.get_by_role("searchbox").press_sequentially("lovelase", delay=40)
        expect(page.locator("tr.contact-row")).to_have_count(1)
        expect(page.locator("tr.contact-row")).to_contain_text("Ada Lovelace")
        expect(page).to_have_url(f"{live_server.url}/contacts?q=lovelase")
        shot(page, backend, size, "5-search")
        page.emulate_media(color_scheme="dark")
        shot(page, backend, size, "6-search-dark")
        page.emulate_media(color_scheme="light")

        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(f"{live_server.url}/login")
        assert problems == [], problems
