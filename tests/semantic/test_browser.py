"""In Chromium: the global search page loads "Related notes and conversations" (semantic
search) after the page, and Settings > Early value shows the report and loads the in-window
segment when the signal is chosen. SQLite only (the markup does not depend on the database)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from amity.auth.models import User
from amity.contacts.models import Contact
from amity.core.db import Database
from amity.intelligence.early_value_report import analyse_early_value
from amity.notes.models import Note
from amity.semantic import encoder
from amity.semantic.index import refresh_embeddings
from tests.browser import E2E, SCREENSHOTS, LiveServer, open_page, sign_in
from tests.intelligence.early_value_data import AT, seed_early

pytestmark = E2E


@pytest.mark.skipif(not encoder.available(), reason="the semantic extra is not installed")
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_related_notes_and_early_value_page(browser: Any, live_server: LiveServer,
                                            database: Database) -> None:
    from playwright.sync_api import expect

    with database.transaction() as s:
        grace = s.scalar(select(Contact).where(Contact.first_name == "Grace"))
        author = s.scalar(select(User).where(User.email == "sam@example.com"))
        assert grace is not None and author is not None
        s.add(Note(entity_type="contact", entity_id=grace.id, author_id=author.id,
                   body="Her daughter is getting married in June"))
        s.add(Note(entity_type="contact", entity_id=grace.id, author_id=author.id,
                   body="Asked for a quote on printer toner"))
        s.flush()
        refresh_embeddings(s)
    seed_early(database)
    with database.transaction() as s:
        analyse_early_value(s, currency="USD", base=None, at=AT)
    url = live_server.url
    with open_page(browser, url, console=False) as (page, problems):
        sign_in(page, url)
        page.goto("/search?q=wedding")
        related = page.get_by_test_id("related-list")
        expect(related).to_contain_text("getting married in June")
        expect(related).not_to_contain_text("toner")
        expect(page.get_by_test_id("related-mode")).to_have_text("By meaning")
        related.get_by_role("link", name="Grace Hopper").click()
        page.wait_for_url(f"{url}/contacts/{grace.id}")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.goto("/search?q=wedding")
        expect(page.get_by_test_id("related-list")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "sqlite-desktop-related.png"), full_page=True)

        page.goto("/settings/early-value")
        expect(page.get_by_test_id("ev-table")).to_contain_text(
            "bought from 2 or more product categories")
        expect(page.get_by_test_id("ev-sentences")).to_contain_text("2.1 times")
        expect(page.get_by_test_id("ev-none")).to_be_visible()  # loaded by HTMX
        page.get_by_label("Who").select_option("yes")
        expect(page.get_by_test_id("ev-none")).to_contain_text("has this signal")
        page.screenshot(path=str(SCREENSHOTS / "sqlite-desktop-early-value.png"),
                        full_page=True)
        assert problems == []
