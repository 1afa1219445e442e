"""The new user's journey in Debian's Chromium, at phone (390 px) and desktop (1440 px) widths:
sign in, create a contact, add a note and a task, create a deal and drag it to another stage on
the board, open a ticket and resolve it, find the contact again by a misspelled name.

SQLite only (the browser does not depend on the database; the pages' queries are tested on
both databases elsewhere). Screenshots of the main pages go to $AMITY_ARTEFACTS, by default
artifacts/e2e/ at the top of the repository (git-ignored).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from amity.contacts.schemas import ContactCreate
from amity.contacts.service import create_contact
from amity.core.db import Database
from amity.deals.models import Deal, Stage
from amity.tickets.models import Ticket
from tests.browser import E2E, VIEWPORTS, LiveServer, open_page
from tests.conftest import make_user
from tests.web.conftest import PASSWORD
from tests.web.test_deals_browser import _drag

ARTEFACTS = Path(os.environ.get("AMITY_ARTEFACTS") or
                 Path(__file__).resolve().parents[2] / "artifacts" / "e2e")

pytestmark = [*E2E, pytest.mark.parametrize("database", ["sqlite"], indirect=True)]


@pytest.fixture
def crm(app: Any, database: Database) -> Iterator[LiveServer]:
    """A fresh CRM with its first user and two other customers (so search has to choose)."""
    user, _ = make_user(database, admin=True, email="sam@example.com")
    with database.transaction() as s:
        for first, last in (("Linus", "Baker"), ("Margaret", "Hamilton")):
            create_contact(s, data=ContactCreate(first_name=first, last_name=last), actor=user)
    with LiveServer(app) as server:
        yield server


def _shot(page: Any, size: str, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{size}-{name}.png"), full_page=True)


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_new_user_journey(browser: Any, crm: LiveServer, database: Database,
                          size: str) -> None:
    from playwright.sync_api import expect

    # the shared CI machine can be slow: wait longer than Playwright's 5 s before failing
    expect.set_options(timeout=20_000)
    with open_page(browser, crm.url, size=size) as (page, problems):
        page.set_default_timeout(20_000)
        page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        # Sign in.
        page.goto("/")
        expect(page).to_have_url(f"{crm.url}/login?next=/contacts")
        _shot(page, size, "01-sign-in")
        page.get_by_label("Email").fill("sam@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{crm.url}/contacts")
        _shot(page, size, "02-contacts")

        # A contact, a note and a task.
        page.get_by_role("link", name="New contact").click()
        page.get_by_label("First name").fill("Grace")
        page.get_by_label("Last name").fill("Hopperton")
        page.get_by_label("Email").fill("grace@example.com")
        page.get_by_role("button", name="Create contact").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Grace Hopperton")
        contact_url = page.url
        page.get_by_label("Add a note").fill("Wants a three-tier cake for June")
        page.get_by_role("button", name="Add note").click()
        expect(page.locator("#timeline")).to_contain_text("Wants a three-tier cake for June")
        page.locator("details.quick summary", has_text="Add a task").click()
        page.locator("#quick-task").get_by_label("Task").fill("Send the cake quote")
        page.locator("#quick-task").get_by_role("button", name="Add task").click()
        expect(page.locator("#timeline")).to_contain_text("Send the cake quote")
        _shot(page, size, "03-contact")

        # A deal for the contact, dragged to the next stage on the board.
        page.get_by_role("link", name="New deal").click()
        page.get_by_label("Name").fill("Wedding cake")
        page.get_by_label("Amount").fill("1200")
        page.get_by_label("Currency").fill("EUR")
        page.get_by_role("button", name="Create deal").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Wedding cake")
        with database.transaction() as s:
            deal = s.scalar(select(Deal).where(Deal.name == "Wedding cake"))
            assert deal is not None and deal.contact_id is not None
            stages = list(s.scalars(select(Stage).where(Stage.pipeline_id == deal.pipeline_id,
                                                        Stage.archived_at.is_(None))
                                    .order_by(Stage.position)))
            start = next(i for i, st in enumerate(stages) if st.id == deal.stage_id)
            target = stages[start + 1]
        page.goto("/deals")
        card = page.locator(".deal-card", has_text="Wedding cake")
        expect(card).to_have_count(1)
        column = page.locator(f'section.board-col[data-stage-id="{target.id}"]')
        # the card moves at once; its save is a request of its own, which a reload would cancel
        with page.expect_response(lambda r: r.request.method == "POST"
                                  and r.url.endswith("/move")) as saved:
            _drag(page, card, column)
        assert saved.value.status == 200
        expect(column.locator(".deal-card")).to_contain_text("Wedding cake")
        page.reload()
        expect(column.locator(".deal-card")).to_contain_text("Wedding cake")
        with database.transaction() as s:
            assert s.scalar(select(Deal.stage_id).where(Deal.name == "Wedding cake")) \
                == target.id
        _shot(page, size, "04-board")

        # A ticket for the contact, resolved.
        page.goto(contact_url)
        page.get_by_role("link", name="New ticket").click()
        page.get_by_label("Subject").fill("Cake arrived dented")
        page.get_by_label("Description").fill("The top tier is dented.")
        page.get_by_role("button", name="Create ticket").click()
        expect(page.locator("h1.tk-title")).to_have_text("Cake arrived dented")
        page.locator("details.tk-resolve summary").click()
        page.get_by_label("Resolution notes").fill("Replaced the top tier.")
        page.get_by_role("button", name="Resolve ticket").click()
        expect(page.locator(".tk-ref-line")).to_contain_text("Resolved")
        with database.transaction() as s:
            ticket = s.scalar(select(Ticket).where(Ticket.subject == "Cake arrived dented"))
            assert ticket is not None and ticket.status == "resolved"
        _shot(page, size, "05-ticket")

        # Found again by a misspelled name.
        page.goto("/contacts")
        page.get_by_label("Search contacts").press_sequentially("hoperton", delay=30)
        expect(page.locator("tr.contact-row")).to_have_count(1)
        expect(page.locator("tr.contact-row")).to_contain_text("Grace Hopperton")
        _shot(page, size, "06-search")
        assert problems == [], problems
