"""Bad input: a 422 problem+json naming the field, and nothing written."""

from __future__ import annotations

import uuid

import pytest

from amity.contacts.models import Contact, ContactEmail, ContactPhone
from amity.core.audit import AuditEntry
from amity.core.events import EventRecord
from amity.core.tags import Tag
from tests.factories import assert_problem, counts, define_field, make_contact

TABLES = (Contact, ContactEmail, ContactPhone, Tag, AuditEntry, EventRecord)

BAD_CREATES = [
    pytest.param({"first_name": "A", "emails": [{"email": "not-an-email"}]},
                 "emails.0.email", "email.invalid", id="bad-email"),
    pytest.param({"first_name": "A", "emails": [{"email": "ok@example.com"},
                                                {"email": "two@@example.com"}]},
                 "emails.1.email", "email.invalid", id="bad-second-email"),
    pytest.param({"first_name": "A", "phones": [{"number": "12"}]},
                 "phones.0.number", "phone.invalid", id="short-phone"),
    pytest.param({"first_name": "A", "phones": [{"number": "call me maybe"}]},
                 "phones.0.number", "phone.invalid", id="unparseable-phone"),
    pytest.param({"first_name": "A", "custom_fields": {"nope": 1}},
                 "custom_fields.nope", "custom_field.unknown", id="unknown-custom-field"),
    pytest.param({"first_name": "A", "custom_fields": {"score": "high"}},
                 "custom_fields.score", "custom_field.invalid", id="wrong-custom-field-type"),
    pytest.param({"first_name": "A", "favourite_colour": "blue"},
                 "favourite_colour", "validation_error", id="unknown-body-field"),
    pytest.param({"first_name": "A", "lifecycle_stage": "prospect"},
                 "lifecycle_stage", "validation_error", id="bad-lifecycle-stage"),
    pytest.param({"first_name": "A", "company_id": str(uuid.uuid4())},
                 "company_id", "company.not_found", id="missing-company"),
    pytest.param({"first_name": "A", "owner_id": str(uuid.uuid4())},
                 "owner_id", "user.not_found", id="missing-owner"),
    pytest.param({"first_name": "A", "referred_by_id": str(uuid.uuid4())},
                 "referred_by_id", "contact.not_found", id="missing-referrer"),
    pytest.param({"first_name": "A", "time_zone": "Mars/Olympus"},
                 "time_zone", "validation_error", id="bad-time-zone"),
    pytest.param({"first_name": "A", "birthday": "1990-02-30"},
                 "birthday", "validation_error", id="bad-date"),
    pytest.param({"first_name": "A", "tags": ["x" * 81]},
                 "tags.0", "validation_error", id="tag-too-long"),
    pytest.param({"nickname": "nobody"}, None, "validation_error", id="no-identity"),
]


@pytest.fixture
def score_field(client):
    return define_field(client, key="score", type="number")


@pytest.mark.parametrize(("body", "field", "code"), BAD_CREATES)
def test_bad_create_is_422_and_writes_nothing(client, database, score_field, body, field, code):
    make_contact(client, tags=["existing"])
    before = counts(database, *TABLES)
    r = client.post("/api/v1/contacts", json={"tags": ["brand-new-tag"], **body})
    problem = assert_problem(r, 422, code=code)
    if field is not None:
        assert problem["field"] == field
    assert counts(database, *TABLES) == before


def test_missing_required_custom_field(client, database):
    define_field(client, key="region", type="text", required=True)
    before = counts(database, *TABLES)
    assert_problem(client.post("/api/v1/contacts", json={"first_name": "A"}), 422,
                   field="custom_fields.region", code="custom_field.required")
    assert counts(database, *TABLES) == before
    r = client.post("/api/v1/contacts", json={"first_name": "A",
                                              "custom_fields": {"region": "EMEA"}})
    assert r.status_code == 201, r.text
    # clearing a required field on update is refused too
    assert_problem(client.patch(f"/api/v1/contacts/{r.json()['id']}",
                                json={"custom_fields": {"region": None}}), 422,
                   field="custom_fields.region", code="custom_field.required")


BAD_UPDATES = [
    pytest.param({"emails": [{"email": "bad"}]}, "emails.0.email", id="bad-email"),
    pytest.param({"phones": [{"number": "+1 999"}]}, "phones.0.number", id="bad-phone"),
    pytest.param({"lifecycle_stage": None}, "lifecycle_stage", id="null-stage"),
    pytest.param({"lifecycle_stage": "nope"}, "lifecycle_stage", id="bad-stage"),
    pytest.param({"company_id": str(uuid.uuid4())}, "company_id", id="missing-company"),
    pytest.param({"custom_fields": {"ghost": "x"}}, "custom_fields.ghost", id="unknown-cf"),
    pytest.param({"id": str(uuid.uuid4())}, "id", id="read-only-field"),
    pytest.param({"version": "two"}, "version", id="bad-version"),
]


@pytest.mark.parametrize(("body", "field"), BAD_UPDATES)
def test_bad_update_is_422_and_changes_nothing(client, database, body, field):
    c = make_contact(client, first_name="Keep", emails=[{"email": "keep@example.com"}])
    before = counts(database, *TABLES)
    r = client.patch(f"/api/v1/contacts/{c['id']}", json={"first_name": "Changed", **body})
    assert_problem(r, 422, field=field)
    assert counts(database, *TABLES) == before
    after = client.get(f"/api/v1/contacts/{c['id']}").json()
    assert after["first_name"] == "Keep" and after["version"] == 1
    assert [e["email"] for e in after["emails"]] == ["keep@example.com"]


def test_bad_if_match_header(client):
    c = make_contact(client)
    assert_problem(client.patch(f"/api/v1/contacts/{c['id']}", json={"nickname": "x"},
                                headers={"If-Match": "yesterday"}), 422, field="If-Match")


def test_malformed_json_is_422(client, database):
    before = counts(database, Contact)
    r = client.post("/api/v1/contacts", content=b"{not json",
                    headers={"Content-Type": "application/json"})
    assert_problem(r, 422)
    assert counts(database, Contact) == before


def test_naive_datetime_filter_is_422(client):
    assert_problem(client.get("/api/v1/contacts", params={"created_after": "2026-01-01T00:00"}),
                   422, code="datetime.naive")


def test_bad_sort_and_limit(client):
    assert_problem(client.get("/api/v1/contacts", params={"sort": "email"}), 422, field="sort")
    assert_problem(client.get("/api/v1/contacts", params={"limit": 0}), 422, field="limit")
    assert_problem(client.get("/api/v1/contacts", params={"limit": 201}), 422, field="limit")
