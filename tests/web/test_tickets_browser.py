"""The ticket screens in Debian's Chromium at phone and desktop widths: open a ticket from the
queue, post a public reply and an internal note, change the priority, resolve it with a
resolution note; rows are cards on a phone. Screenshots to artifacts/screenshots/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from amity.auth.models import User
from amity.config import Settings
from amity.contacts.schemas import ContactCreate
from amity.contacts.service import create_contact
from amity.core.db import Database
from amity.tickets import service
from amity.tickets.models import SlaPolicy, Ticket, TicketComment
from amity.tickets.schemas import CommentCreate, TicketCreate, TicketUpdate
from tests.browser import E2E, VIEWPORTS, LiveServer, open_page, shot, sign_in
from tests.conftest import make_user
from tests.web.conftest import PASSWORD

pytestmark = E2E


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return Settings(environment="test", database_url=str(database.engine.url),
                    secret_key="test-secret-key-that-is-long-enough-0123456789",
                    default_region="US", attachment_dir=tmp_path / "attachments")


@pytest.fixture
def desk(app: Any, database: Database) -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    user, _ = make_user(database, admin=True, email="sam@example.com")
    with database.transaction() as s:
        actor = s.get(User, user.id)
        assert actor is not None
        s.add(SlaPolicy(name="Standard", priority="normal", first_response_minutes=240,
                        resolution_minutes=2880, warning_percent=80, position=0, active=True))
        s.flush()
        ada = create_contact(s, data=ContactCreate.model_validate(
            {"first_name": "Ada", "last_name": "Lovelace",
             "emails": [{"email": "ada@example.com"}]}), actor=actor, region="US")
        refs = {}
        for subject in ("Oven does not heat", "Invoice address wrong",
                        "<img src=x onerror=alert(1)> broken"):
            t = service.create_ticket(s, data=TicketCreate(
                subject=subject, contact_id=ada.id, description="Since Monday"), actor=actor)
            refs[subject] = t.reference
    with LiveServer(app) as server:
        yield server, {"refs": refs, "user": user.id}


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_reply_note_and_resolve(browser: Any, desk: Any, database: Database,
                                backend: str, size: str) -> None:
    from playwright.sync_api import expect

    server, world = desk
    dialogs: list[str] = []
    # the refused change (412) is expected; anything else (a CSP violation, a script error)
    with open_page(browser, server.url, size=size, expected_statuses=(412,)) as (page, problems):
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto("/login?next=/tickets")
        page.get_by_label("Email").fill("sam@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{server.url}/tickets")
        rows = page.locator("tr.tk-row")
        expect(rows).to_have_count(3)
        expect(page.locator('[data-view="open"] [data-count]')).to_have_text("3")
        expect(rows.first.locator("[data-sla]")).to_contain_text("Due in")
        row_box = rows.first.bounding_box()
        assert row_box is not None
        if size == "phone":  # cards: one ticket's cells stacked, taller than a table row
            assert row_box["height"] > 80 and row_box["width"] <= 390
            assert page.locator("table.tk-table thead").bounding_box()["height"] <= 1
        else:
            assert row_box["height"] < 80
        shot(page, backend, size, "tickets-1-queue")

        # Open a ticket from the queue.
        ref = world["refs"]["Oven does not heat"]
        page.locator("tr.tk-row", has_text="Oven does not heat").get_by_role("link").click()
        expect(page).to_have_url(f"{server.url}/tickets/{ref}")
        expect(page.locator("h1.tk-title")).to_have_text("Oven does not heat")
        expect(page.locator(".tk-timer").first).to_contain_text("First response")

        # A public reply, then an internal note.
        page.get_by_label("Public reply").check()
        page.locator("#comment-body").fill("A technician will come on Thursday.")
        page.get_by_role("button", name="Send").click()
        reply = page.locator('.tk-thread [data-kind="reply"]')
        expect(reply).to_contain_text("A technician will come on Thursday.")
        page.get_by_label("Internal note").check()
        page.locator("#comment-body").fill("Warranty ends next month.")
        page.get_by_role("button", name="Send").click()
        note = page.locator('.tk-thread [data-kind="note"]')
        expect(note).to_contain_text("Warranty ends next month.")
        expect(note).to_contain_text("Internal note")
        # notes look different from replies
        assert note.evaluate("e => getComputedStyle(e).backgroundColor") != \
            reply.evaluate("e => getComputedStyle(e).backgroundColor")
        expect(page.locator(".tk-ref-line")).to_contain_text("Open")  # the reply opened it
        shot(page, backend, size, "tickets-2-conversation")

        # Someone else changes the ticket meanwhile: the change is refused and shown, with
        # the latest values; saving again (now with the latest version) works.
        with database.transaction() as s:
            actor = s.get(User, world["user"])
            other = s.scalar(select(Ticket).where(Ticket.subject == "Oven does not heat"))
            assert actor is not None and other is not None
            service.update_ticket(s, ticket=other, data=TicketUpdate(category="Ovens"),
                                  actor=actor)
        page.locator("form.tk-props select[name=priority]").select_option("high")
        page.get_by_role("button", name="Save changes").click()
        expect(page.locator("#head-message")).to_contain_text("Someone else changed")
        expect(page.locator(".tk-facts")).to_contain_text("Ovens")
        expect(page.locator(".tk-ref-line")).to_contain_text("Normal")
        shot(page, backend, size, "tickets-3-conflict")
        # Change the priority through HTMX (the page stays, the header is replaced).
        page.locator("form.tk-props select[name=priority]").select_option("high")
        page.get_by_role("button", name="Save changes").click()
        expect(page.locator("#head-message")).to_have_text("Saved.")
        expect(page.locator(".tk-ref-line")).to_contain_text("High")

        # Resolve with a note.
        page.locator("details.tk-resolve summary").click()
        page.get_by_label("Resolution notes").fill("Thermostat replaced.")
        page.get_by_role("button", name="Resolve ticket").click()
        expect(page.locator("#head-message")).to_have_text("Resolved.")
        expect(page.locator(".tk-ref-line")).to_contain_text("Resolved")
        expect(page.locator(".tk-resolution")).to_contain_text("Thermostat replaced.")
        shot(page, backend, size, "tickets-4-resolved")

        with database.transaction() as s:
            t = s.scalar(select(Ticket).where(Ticket.subject == "Oven does not heat"))
            assert t is not None
            assert (t.status, t.priority, t.resolution_notes) == (
                "resolved", "high", "Thermostat replaced.")
            kinds = [c.public for c in s.scalars(select(TicketComment).where(
                TicketComment.ticket_id == t.id).order_by(TicketComment.created_at))]
            assert kinds == [True, False]

        # The escaped subject shows as text and runs nothing.
        page.goto(f"/tickets/{world['refs']['<img src=x onerror=alert(1)> broken']}")
        expect(page.locator("h1.tk-title")).to_have_text("<img src=x onerror=alert(1)> broken")
        assert page.locator(".tk-head img").count() == 0
        assert dialogs == [] and problems == [], (dialogs, problems)


# The markup does not depend on the database: SQLite only, to keep the run short.
@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_ticket_screens_have_no_serious_accessibility_violations(
        browser: Any, desk: Any, database: Database, size: str) -> None:
    from tests.web.test_accessibility import check_here

    server, world = desk
    with database.transaction() as s:
        t = s.scalar(select(Ticket).where(Ticket.subject == "Oven does not heat"))
        actor = s.get(User, world["user"])
        assert t is not None and actor is not None
        contact_id = t.contact_id
        service.add_comment(s, ticket=t, data=CommentCreate(body="On our way"), actor=actor)
        service.add_comment(s, ticket=t, data=CommentCreate(body="Call first", public=False),
                            actor=actor)
    found: dict[str, Any] = {}
    with open_page(browser, server.url, size=size, bypass_csp=True) as (page, _):
        sign_in(page, server.url)
        ref = world["refs"]["Oven does not heat"]
        for path in ("/tickets", "/tickets?view=all", "/tickets/new", f"/tickets/{ref}",
                     f"/contacts/{contact_id}"):
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            if path.startswith("/contacts/"):
                page.locator("#tickets-h").wait_for()  # the panel, loaded by HTMX
            check_here(page, path, found)
    assert not found, json.dumps(found, indent=1)
