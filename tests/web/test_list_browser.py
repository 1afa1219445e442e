"""The contact list in Chromium at phone and desktop widths: filter, save the view, tick rows and
tag them in bulk (review, confirm, message). SQLite only: the markup does not depend on it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import E2E, SCREENSHOTS, VIEWPORTS, LiveServer, open_page, sign_in

pytestmark = E2E


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_filter_save_view_and_bulk_tag(browser: Any, live_server: LiveServer,
                                       size: str) -> None:
    from playwright.sync_api import expect

    url = live_server.url
    with open_page(browser, url, size=size) as (page, problems):
        sign_in(page, url)
        rows = page.locator("tr.contact-row")
        expect(rows).to_have_count(3)

        # filter by stage (the rows update in place, the address follows)
        page.get_by_text("Filters, sort and columns").click()
        page.get_by_label("Lead", exact=True).check()
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Linus Baker")
        page.get_by_label("Lead", exact=True).uncheck()
        page.get_by_label("Opportunity", exact=True).check()
        page.get_by_label("Customer", exact=True).check()
        expect(rows).to_have_count(2)
        expect(page).to_have_url(f"{url}/contacts?stage=opportunity&stage=customer")

        # save it as a view shared with everyone (no reload: the list as filtered is saved)
        page.get_by_text("Save view", exact=True).first.click()
        page.get_by_label("View name").fill("Buyers")
        page.get_by_label("Who sees it").select_option("everyone")
        page.get_by_role("button", name="Save view").click()
        expect(page.locator(".flash")).to_have_text("Saved the view “Buyers”.")
        view_link = page.get_by_role("navigation", name="Saved views").get_by_role(
            "link", name="Buyers")
        expect(view_link).to_have_attribute("aria-current", "page")
        expect(rows).to_have_count(2)
        page.get_by_role("link", name="All contacts").click()
        expect(rows).to_have_count(3)
        view_link.click()
        expect(rows).to_have_count(2)

        # tick both rows, add a tag, review, confirm
        page.get_by_label("Select Grace Hopper").check()
        page.get_by_label("Select Margaret Hamilton").check()
        bar = page.get_by_role("form", name="Bulk actions")
        bar.get_by_label("Tag", exact=True).fill("gold")
        bar.get_by_role("button", name="Review").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Add the tag “gold”")
        expect(page.locator("main")).to_contain_text("This will change 2 contacts")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"sqlite-{size}-bulk-review.png"), full_page=True)
        page.get_by_role("button", name="Add the tag").click()
        expect(page.locator(".flash")).to_have_text("Tagged 2 contacts.")
        expect(page.locator("tr.contact-row .tag", has_text="gold")).to_have_count(2)
        display = rows.first.evaluate("e => getComputedStyle(e).display")
        assert display == ("grid" if size == "phone" else "table-row")  # cards on phones
        page.screenshot(path=str(SCREENSHOTS / f"sqlite-{size}-list-tagged.png"), full_page=True)
        assert problems == [], problems
