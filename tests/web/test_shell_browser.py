"""The shell in Chromium, at phone and desktop widths: global search as you type (a misspelled
name, arrow keys + Enter), keyboard shortcuts (not while typing), the shortcuts help and the theme
choice. The markup does not depend on the database: SQLite only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import E2E, SCREENSHOTS, VIEWPORTS, LiveServer, open_page, sign_in

pytestmark = E2E


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_global_search_shortcuts_and_theme(browser: Any, live_server: LiveServer,
                                           size: str) -> None:
    from playwright.sync_api import expect

    url = live_server.url
    with open_page(browser, url, size=size) as (page, problems):
        sign_in(page, url)
        box = page.get_by_role("combobox", name="Search everything")

        # "/" focuses the search; a misspelled name is found as you type
        page.locator("h1").click()
        page.keyboard.press("/")
        expect(box).to_be_focused()
        page.keyboard.type("Hamiltn", delay=30)
        options = page.locator("#global-suggest [role=option]")
        expect(options.first).to_contain_text("Margaret Hamilton")
        expect(box).to_have_attribute("aria-expanded", "true")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"sqlite-{size}-search-suggest.png"))
        # typing "g", "c" or "n" in the box does not navigate
        assert page.url == f"{url}/contacts"
        page.keyboard.press("ArrowDown")
        expect(options.first).to_have_attribute("aria-selected", "true")
        expect(box).to_have_attribute("aria-activedescendant", options.first.get_attribute("id"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Margaret Hamilton")

        # Enter without a chosen suggestion opens the full results page
        box.fill("baker")
        box.press("Enter")
        page.wait_for_url(f"{url}/search?q=baker")
        expect(page.get_by_role("region", name="People")).to_contain_text("Linus Baker")

        # two-key shortcuts, from anywhere but a text field
        page.locator("h1").click()
        page.keyboard.press("g")
        page.keyboard.press("o")
        page.wait_for_url(f"{url}/companies")
        page.keyboard.press("g")
        page.keyboard.press("c")
        page.wait_for_url(f"{url}/contacts")
        page.keyboard.press("n")
        page.wait_for_url(f"{url}/contacts/new")
        page.get_by_label("First name").press("g")
        page.get_by_label("First name").press("a")
        assert page.url == f"{url}/contacts/new"
        expect(page.get_by_label("First name")).to_have_value("ga")

        # "?" shows the help; Escape closes it
        page.locator("h1").click()
        page.keyboard.press("?")
        help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
        expect(help_dialog).to_be_visible()
        page.keyboard.press("Escape")
        expect(help_dialog).to_be_hidden()

        # the theme choice outranks the system's and survives a reload
        page.emulate_media(color_scheme="light")
        toggle = page.get_by_role("button", name="Theme: system")
        toggle.click()  # light
        page.get_by_role("button", name="Theme: light").click()  # dark
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        page.reload()
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert bg == "rgb(17, 20, 24)", bg
        page.screenshot(path=str(SCREENSHOTS / f"sqlite-{size}-dark-chosen.png"))
        page.get_by_role("button", name="Theme: dark").click()  # back to the system's
        expect(page.locator("html")).not_to_have_attribute("data-theme", "dark")
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") != bg
        assert problems == [], problems
