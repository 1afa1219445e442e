"""A hand-built set of contacts whose audit figures are worked out by hand (see ``people``)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from amity.contacts.models import Contact, ContactEmail, ContactPhone
from amity.core.customfields import CustomFieldDefinition
from amity.core.db import Database
from amity.dedupe.models import DuplicateSuggestion
from tests.factories import make_company, make_contact
from tests.jobs.conftest import Clock, Inbox, clock, inbox, smtp_settings

__all__ = ["Clock", "Inbox", "clock", "inbox", "people", "smtp_settings"]


@pytest.fixture
def people(client: Any, database: Database, clock: Clock) -> dict[str, str]:
    """A: complete (score 100). B: email and owner only (57). C: nothing, no owner, stale,
    no last name (14). D: invalid email, phone and birthday, no company (71). E: deleted."""
    co = make_company(client, name="Acme")
    a = make_contact(client, first_name="Ada", last_name="Full", job_title="CTO",
                     company_id=co["id"], emails=[{"email": "ada@example.com"}],
                     phones=[{"number": "+14155550100"}], tags=["vip"])
    b = make_contact(client, first_name="Bo", last_name="Mail",
                     emails=[{"email": "bo@example.com"}])
    c = make_contact(client, first_name="Cy", last_name="", tags=["VIP"])
    d = make_contact(client, first_name="Di", last_name="Bad", job_title="Chef")
    e = make_contact(client, first_name="Ed", last_name="Gone")
    assert client.delete(f"/api/v1/contacts/{e['id']}").status_code == 204
    with database.transaction() as s:
        long_ago = clock.at - timedelta(days=200)
        s.execute(update(Contact).where(Contact.id == uuid.UUID(c["id"])).values(
            owner_id=None, created_at=long_ago, last_activity_at=long_ago))
        did = uuid.UUID(d["id"])
        s.add(ContactEmail(contact_id=did, email="not-an-email"))
        s.add(ContactPhone(contact_id=did, e164="12345"))
        s.execute(update(Contact).where(Contact.id == did).values(birthday=date(2031, 1, 1)))
        s.add(CustomFieldDefinition(entity="contact", key="shoe_size", label="Shoe size",
                                    type="text"))
        s.add(CustomFieldDefinition(entity="contact", key="nickname2", label="Other name",
                                    type="text"))
        s.execute(update(Contact).where(Contact.id == uuid.UUID(a["id"])).values(
            custom_fields={"shoe_size": "42"}))
        ids = sorted([uuid.UUID(a["id"]), uuid.UUID(b["id"])])
        s.add(DuplicateSuggestion(entity="contact", a_id=ids[0], b_id=ids[1], score=91.0,
                                  reasons=[], status="open"))
        s.add(DuplicateSuggestion(entity="contact", a_id=ids[0], b_id=uuid.UUID(d["id"]),
                                  score=70.0, reasons=[], status="dismissed"))
    return {"a": a["id"], "b": b["id"], "c": c["id"], "d": d["id"]}
