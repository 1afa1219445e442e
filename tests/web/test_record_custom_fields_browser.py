"""Editing a contact's custom fields in Debian's Chromium at phone width: open Edit details,
a bad number is answered next to its field with nothing saved, then the fixed values are
saved and shown in the Details block. Screenshots to artifacts/."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from amity.auth.models import User
from amity.contacts.models import Contact
from amity.contacts.schemas import ContactCreate
from amity.contacts.service import create_contact
from amity.core.customfields import create_definition
from amity.core.db import Database
from tests.browser import E2E, VIEWPORTS, LiveServer, open_page, shot
from tests.conftest import make_user
from tests.web.conftest import PASSWORD

pytestmark = E2E


@pytest.fixture
def details_server(app: Any, database: Database) -> Iterator[tuple[LiveServer, str]]:
    user, _ = make_user(database, admin=True, email="sam@example.com")
    with database.transaction() as s:
        actor = s.get(User, user.id)
        assert actor is not None
        create_definition(s, entity="contact", key="tier", label="Tier", type="select",
                          options=["gold", "silver"])
        create_definition(s, entity="contact", key="seats", label="Seats", type="number")
        create_definition(s, entity="contact", key="renewal", label="Renewal", type="date")
        create_definition(s, entity="contact", key="vip", label="VIP", type="boolean")
        contact = create_contact(s, data=ContactCreate(first_name="Grace", last_name="Hopper",
                                                       custom_fields={"seats": 3}), actor=actor)
        contact_id = str(contact.id)
    with LiveServer(app) as server:
        yield server, contact_id


def _stored(database: Database, contact_id: str) -> dict[str, Any]:
    with database.transaction() as s:
        values = s.scalar(select(Contact.custom_fields).where(Contact.id == uuid.UUID(contact_id)))
        return dict(values or {})


def test_edit_a_custom_field_on_a_phone(browser: Any,
                                        details_server: tuple[LiveServer, str],
                                        database: Database, backend: str) -> None:
    from playwright.sync_api import expect

    server, contact_id = details_server
    viewport = VIEWPORTS["phone"]
    with open_page(browser, server.url, viewport=viewport,
                   expected_statuses=(422,)) as (page, problems):
        page.goto("/login?next=/contacts")
        page.get_by_label("Email").fill("sam@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{server.url}/contacts")
        page.goto(f"/contacts/{contact_id}")
        block = page.locator("section.custom-fields")
        expect(block.locator('dd[data-field="seats"]')).to_have_text("3")
        expect(block.locator('dd[data-field="tier"]')).to_have_text("—")

        block.get_by_text("Edit details").click()
        block.get_by_label("Tier").select_option("gold")
        block.get_by_label("Seats").fill("many")
        block.get_by_role("button", name="Save details").click()
        seats = page.locator("section.custom-fields").get_by_label("Seats")
        expect(seats).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#cf_seats-error")).to_have_text("'Seats' must be a number")
        assert _stored(database, contact_id) == {"seats": 3}
        shot(page, backend, "phone", "custom-fields-error")

        block = page.locator("section.custom-fields")
        seats.fill("12")
        block.get_by_label("Renewal").fill("2027-01-31")
        block.get_by_label("VIP").check()
        block.get_by_role("button", name="Save details").click()
        expect(page).to_have_url(f"{server.url}/contacts/{contact_id}#details")
        block = page.locator("section.custom-fields")
        expect(block.locator('dd[data-field="seats"]')).to_have_text("12")
        expect(block.locator('dd[data-field="tier"]')).to_have_text("gold")
        expect(block.locator('dd[data-field="renewal"]')).to_have_text("31 Jan 2027")
        expect(block.locator('dd[data-field="vip"]')).to_have_text("Yes")
        assert _stored(database, contact_id) == {"seats": 12, "tier": "gold",
                                                 "renewal": "2027-01-31", "vip": True}
        # the block fits the phone's width (no sideways scrolling)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], width
        shot(page, backend, "phone", "custom-fields-saved")
        assert not problems, problems
