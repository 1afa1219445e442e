"""Contacts through the HTTP API: create, read, update, delete; history and events written."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from amity.core.audit import AuditEntry
from amity.core.events import EventRecord
from tests.factories import assert_problem, make_company, make_contact

READ_KEYS = {
    "id", "version", "display_name", "first_name", "last_name", "nickname", "job_title",
    "department", "company_id", "company", "lifecycle_stage", "source", "referred_by_id",
    "owner_id", "birthday", "gender", "language", "time_zone", "preferred_channel",
    "best_time_to_contact", "do_not_contact", "personal_notes", "emails", "phones", "addresses",
    "social_profiles", "important_dates", "tags", "custom_fields", "last_contacted_at",
    "last_activity_at", "created_at", "updated_at", "deleted_at",
}


def _events(database, entity_id):
    with database.transaction(write=False) as s:
        return [(e.type, e.payload) for e in s.scalars(
            select(EventRecord).where(EventRecord.entity_id == uuid.UUID(entity_id))
            .order_by(EventRecord.occurred_at, EventRecord.id))]


def _audit(database, entity_id):
    with database.transaction(write=False) as s:
        return list(s.scalars(select(AuditEntry).where(
            AuditEntry.entity_id == uuid.UUID(entity_id)).order_by(AuditEntry.at)))


def test_create_returns_full_shape(client, admin_user, database):
    company = make_company(client, name="Acme Corp", domain="acme.com")
    r = client.post("/api/v1/contacts", json={
        "first_name": " Grace ", "last_name": "Hopper", "job_title": "Rear Admiral",
        "company_id": company["id"], "lifecycle_stage": "customer",
        "emails": [{"email": "Grace@Navy.mil", "label": "work"}, {"email": "g@example.org"}],
        "phones": [{"number": "+44 20 7946 0958", "label": "office"}],
        "tags": ["VIP", "navy", "vip"], "birthday": "1906-12-09", "time_zone": "America/New_York",
        "addresses": [{"city": "Arlington", "country": "us"}],
        "important_dates": [{"label": "Retirement", "date": "1986-08-14"}],
    })
    assert r.status_code == 201, r.text
    assert r.headers["etag"] == '"v1"'
    body = r.json()
    assert set(body) == READ_KEYS
    assert body["version"] == 1
    assert body["first_name"] == "Grace"  # stripped
    assert body["display_name"] == "Grace Hopper"
    assert body["company"] == {"id": company["id"], "name": "Acme Corp", "domain": "acme.com"}
    assert [e["email"] for e in body["emails"]] == ["grace@navy.mil", "g@example.org"]
    assert [e["is_primary"] for e in body["emails"]] == [True, False]
    assert body["phones"] == [{"e164": "+442079460958", "label": "office", "is_primary": True}]
    assert body["tags"] == ["VIP", "navy"]  # de-duplicated case-insensitively, first spelling
    assert sorted(client.get(f"/api/v1/contacts/{body['id']}").json()["tags"]) == ["VIP", "navy"]
    assert body["addresses"][0]["country"] == "US"
    assert body["owner_id"] == str(admin_user[0].id)
    assert body["deleted_at"] is None
    assert body["lifecycle_stage"] == "customer"


def test_get_patch_delete_round_trip(client, database):
    c = make_contact(client, first_name="Alan", last_name="Turing")
    cid = c["id"]
    r = client.get(f"/api/v1/contacts/{cid}")
    assert r.status_code == 200 and r.json()["last_name"] == "Turing"
    assert r.headers["etag"] == '"v1"'

    r = client.patch(f"/api/v1/contacts/{cid}", json={"job_title": "Mathematician",
                                                      "lifecycle_stage": "qualified"})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.headers["etag"] == '"v2"'
    assert r.json()["job_title"] == "Mathematician"
    assert r.json()["first_name"] == "Alan"  # untouched fields keep their values
    assert r.json()["updated_at"] >= c["updated_at"]

    # a PATCH that changes nothing does not bump the version or write history
    r = client.patch(f"/api/v1/contacts/{cid}", json={"job_title": "Mathematician"})
    assert r.status_code == 200 and r.json()["version"] == 2

    r = client.delete(f"/api/v1/contacts/{cid}")
    assert r.status_code == 204 and r.content == b""
    assert_problem(client.get(f"/api/v1/contacts/{cid}"), 404, code="contact.not_found")

    history = client.get(f"/api/v1/contacts/{cid}/history").json()
    assert [h["action"] for h in history] == ["delete", "update", "create"]
    update = history[1]
    assert update["changes"]["job_title"] == [None, "Mathematician"]
    assert update["changes"]["lifecycle_stage"] == ["lead", "qualified"]
    assert set(update["changes"]) == {"job_title", "lifecycle_stage"}
    assert history[2]["changes"]["last_name"] == [None, "Turing"]

    types = [t for t, _ in _events(database, cid)]
    assert types == ["contact.created", "contact.updated", "contact.lifecycle_stage_changed",
                     "contact.deleted"]
    payloads = dict(_events(database, cid))
    assert payloads["contact.updated"]["changed"] == ["job_title", "lifecycle_stage"]
    assert payloads["contact.lifecycle_stage_changed"]["from_stage"] == "lead"
    assert payloads["contact.lifecycle_stage_changed"]["to_stage"] == "qualified"


def test_audit_rows_carry_actor(client, admin_user, database):
    c = make_contact(client)
    entries = _audit(database, c["id"])
    assert [(e.action, e.entity_type, e.actor_id) for e in entries] == [
        ("create", "contact", admin_user[0].id)]


def test_patch_replaces_lists_whole(client):
    c = make_contact(client, emails=[{"email": "a@example.com"}, {"email": "b@example.com"}],
                     tags=["one", "two"])
    r = client.patch(f"/api/v1/contacts/{c['id']}", json={"emails": [{"email": "c@example.com"}],
                                                          "tags": []})
    assert r.status_code == 200, r.text
    assert [e["email"] for e in r.json()["emails"]] == ["c@example.com"]
    assert r.json()["tags"] == []


def test_unknown_contact_is_404(client):
    assert_problem(client.get(f"/api/v1/contacts/{uuid.uuid4()}"), 404)
    assert_problem(client.patch(f"/api/v1/contacts/{uuid.uuid4()}", json={}), 404)
    assert_problem(client.delete(f"/api/v1/contacts/{uuid.uuid4()}"), 404)
    assert_problem(client.get("/api/v1/contacts/not-a-uuid"), 422, field="contact_id")


def test_referrals_and_360(client):
    a = make_contact(client, first_name="Referrer", last_name="One")
    b = make_contact(client, first_name="Referred", last_name="Two", referred_by_id=a["id"])
    client.post(f"/api/v1/contacts/{a['id']}/notes", json={"body": "First call\nwent well"})
    r = client.get(f"/api/v1/contacts/{a['id']}/360")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["contact"]["id"] == a["id"]
    assert body["referrals"] == [{"id": b["id"], "display_name": "Referred Two"}]
    assert body["notes_count"] == 1
    assert body["timeline"][0]["title"] == "First call"
    assert body["timeline"][0]["kind"] == "note"
    r = client.get(f"/api/v1/contacts/{b['id']}/360")
    assert r.json()["referred_by"] == {"id": a["id"], "display_name": "Referrer One"}
    assert_problem(client.patch(f"/api/v1/contacts/{a['id']}",
                                json={"referred_by_id": a["id"]}), 422, field="referred_by_id")
