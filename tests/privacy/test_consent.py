"""Consent: append-only events, the current state per purpose and channel, may_contact."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.contacts.consent import may_contact
from amity.contacts.models import Contact, ContactConsent
from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.core.events import EventRecord
from tests.factories import assert_problem, count, make_contact


def _consent(client: TestClient, cid: str, **body: str) -> dict[str, object]:
    r = client.post(f"/api/v1/contacts/{cid}/consents", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _may(database: Database, cid: str, purpose: str, channel: str) -> bool:
    with database.transaction(write=False) as s:
        contact = s.get(Contact, uuid.UUID(cid))
        assert contact is not None
        return may_contact(s, contact, purpose, channel)


def test_append_history_and_current_state(client: TestClient, database: Database) -> None:
    c = make_contact(client)
    _consent(client, c["id"], purpose="marketing", channel="email", status="given",
             source="web form", note="ticked the box")
    _consent(client, c["id"], purpose="newsletter", channel="email", status="given")
    _consent(client, c["id"], purpose="marketing", channel="email", status="withdrawn",
             source="phone call")
    state = client.get(f"/api/v1/contacts/{c['id']}/consents").json()
    assert [(r["purpose"], r["channel"], r["status"]) for r in state["current"]] == [
        ("marketing", "email", "withdrawn"), ("newsletter", "email", "given")]
    assert [(r["purpose"], r["status"]) for r in state["history"]] == [
        ("marketing", "withdrawn"), ("newsletter", "given"), ("marketing", "given")]
    assert state["history"][-1]["note"] == "ticked the box"
    assert count(database, ContactConsent) == 3
    with database.transaction(write=False) as s:
        audited = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "consent")
                                 .order_by(AuditEntry.at)))
        events = list(s.scalars(select(EventRecord)
                                .where(EventRecord.type == "contact.consent_changed")))
    assert audited[-1].changes["consent.marketing.email"] == ["given", "withdrawn"]
    assert len(events) == 3 and {e.payload["status"] for e in events} == {"given", "withdrawn"}


def test_bad_consent_input_is_refused_and_writes_nothing(client: TestClient,
                                                         database: Database) -> None:
    c = make_contact(client)
    for body, field in (({"purpose": "spam", "channel": "email", "status": "given"}, "purpose"),
                        ({"purpose": "marketing", "channel": "fax", "status": "given"},
                         "channel"),
                        ({"purpose": "marketing", "channel": "email", "status": "maybe"},
                         "status")):
        r = client.post(f"/api/v1/contacts/{c['id']}/consents", json=body)
        assert r.status_code == 422 and field in r.text
    assert_problem(client.post(f"/api/v1/contacts/{uuid.uuid4()}/consents",
                               json={"purpose": "marketing", "channel": "email",
                                     "status": "given"}), 404)
    assert count(database, ContactConsent) == 0


def test_may_contact_rules(client: TestClient, database: Database) -> None:
    c = make_contact(client)
    assert not _may(database, c["id"], "marketing", "email")  # no row = no consent
    assert _may(database, c["id"], "transactional", "email")  # implied
    _consent(client, c["id"], purpose="marketing", channel="email", status="given")
    assert _may(database, c["id"], "marketing", "email")
    assert not _may(database, c["id"], "marketing", "sms")  # per channel
    assert not _may(database, c["id"], "newsletter", "email")  # per purpose
    _consent(client, c["id"], purpose="marketing", channel="email", status="withdrawn")
    assert not _may(database, c["id"], "marketing", "email")
    _consent(client, c["id"], purpose="marketing", channel="email", status="given")
    assert _may(database, c["id"], "marketing", "email")
    _consent(client, c["id"], purpose="transactional", channel="sms", status="withdrawn")
    assert not _may(database, c["id"], "transactional", "sms")

    client.patch(f"/api/v1/contacts/{c['id']}", json={"do_not_contact": True})
    assert not _may(database, c["id"], "marketing", "email")
    assert not _may(database, c["id"], "transactional", "email")
    client.patch(f"/api/v1/contacts/{c['id']}", json={"do_not_contact": False})
    assert _may(database, c["id"], "marketing", "email")
    client.delete(f"/api/v1/contacts/{c['id']}")
    assert not _may(database, c["id"], "marketing", "email")
    client.post(f"/api/v1/contacts/{c['id']}/restore")
    assert _may(database, c["id"], "marketing", "email")
    r = client.post(f"/api/v1/contacts/{c['id']}/erase", json={"confirm": c["id"]})
    assert r.status_code == 200, r.text
    assert not _may(database, c["id"], "transactional", "email")
    assert_problem(client.post(f"/api/v1/contacts/{c['id']}/consents",
                               json={"purpose": "marketing", "channel": "email",
                                     "status": "given"}), 404)
