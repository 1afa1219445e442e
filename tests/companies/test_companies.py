"""Companies through the HTTP API: CRUD, validation, history, events, list and notes."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from amity.companies.models import Company
from amity.core.audit import AuditEntry
from amity.core.events import EventRecord
from amity.core.tags import Tag
from tests.factories import assert_problem, counts, define_field, make_company

READ_KEYS = {"id", "version", "name", "domain", "website", "industry", "size",
             "employee_count", "phone", "address", "description", "parent_id", "owner_id",
             "tags", "custom_fields", "created_at", "updated_at", "deleted_at"}
TABLES = (Company, Tag, AuditEntry, EventRecord)


def _event_actions(database, company_id):
    with database.transaction(write=False) as s:
        rows = s.scalars(select(EventRecord).where(
            EventRecord.entity_id == uuid.UUID(company_id)).order_by(EventRecord.occurred_at))
        return [(e.type, e.payload["action"]) for e in rows]


def test_company_crud(client, database, admin_user):
    r = client.post("/api/v1/companies", json={
        "name": "Ünïcorn Labs", "domain": "Unicorn.IO", "industry": "Software", "size": "11-50",
        "employee_count": 42, "phone": "(415) 555-0100", "address": {"city": "SF"},
        "tags": ["startup"]})
    assert r.status_code == 201, r.text
    assert r.headers["etag"] == '"v1"'
    body = r.json()
    assert set(body) == READ_KEYS
    assert body["domain"] == "unicorn.io"
    assert body["phone"] == "+14155550100"
    assert body["tags"] == ["startup"]
    assert body["owner_id"] == str(admin_user[0].id)
    cid = body["id"]

    r = client.get(f"/api/v1/companies/{cid}")
    assert r.status_code == 200 and r.headers["etag"] == '"v1"'
    r = client.patch(f"/api/v1/companies/{cid}", json={"employee_count": 60},
                     headers={"If-Match": '"v1"'})
    assert r.status_code == 200 and r.json()["version"] == 2 and r.headers["etag"] == '"v2"'
    assert_problem(client.patch(f"/api/v1/companies/{cid}", json={"employee_count": 70},
                                headers={"If-Match": '"v1"'}), 412, code="version.stale")
    assert client.get(f"/api/v1/companies/{cid}").json()["employee_count"] == 60

    # the list finds it by folded name, its domain and tag
    for params in ({"q": "unicorn"}, {"q": "UNÏCORN"}, {"q": "unicorn.io"}, {"tag": "Startup"},
                   {"industry": "Software"}):
        ids = [c["id"] for c in client.get("/api/v1/companies", params=params).json()["items"]]
        assert ids == [cid], params

    assert_problem(client.delete(f"/api/v1/companies/{cid}", headers={"If-Match": '"v1"'}), 412)
    assert client.delete(f"/api/v1/companies/{cid}").status_code == 204
    assert_problem(client.get(f"/api/v1/companies/{cid}"), 404, code="company.not_found")
    assert client.get("/api/v1/companies").json()["items"] == []
    only = client.get("/api/v1/companies", params={"deleted": "only"}).json()["items"]
    assert [c["id"] for c in only] == [cid]
    r = client.post(f"/api/v1/companies/{cid}/restore")
    assert r.status_code == 200 and r.json()["deleted_at"] is None

    history = client.get(f"/api/v1/companies/{cid}/history").json()
    assert [h["action"] for h in history] == ["restore", "delete", "update", "create"]
    assert history[2]["changes"] == {"employee_count": [42, 60]}
    assert _event_actions(database, cid) == [("company.changed", a) for a in
                                             ("create", "update", "delete", "restore")]


@pytest.mark.parametrize(("body", "field"), [
    ({"name": ""}, "name"),
    ({"name": "X", "domain": "not a domain"}, "domain"),
    ({"name": "X", "phone": "555"}, "phone"),
    ({"name": "X", "size": "huge"}, "size"),
    ({"name": "X", "employee_count": -1}, "employee_count"),
    ({"name": "X", "parent_id": str(uuid.uuid4())}, "parent_id"),
    ({"name": "X", "owner_id": str(uuid.uuid4())}, "owner_id"),
    ({"name": "X", "custom_fields": {"nope": 1}}, "custom_fields.nope"),
    ({"name": "X", "custom_fields": {"tier": 3}}, "custom_fields.tier"),
    ({"name": "X", "colour": "red"}, "colour"),
    ({"domain": "x.com"}, "name"),
])
def test_bad_company_create_is_422_and_writes_nothing(client, database, body, field):
    define_field(client, entity="company", key="tier", type="select", options=["gold", "silver"])
    before = counts(database, *TABLES)
    assert_problem(client.post("/api/v1/companies", json={**body, "tags": ["new-tag"]}), 422,
                   field=field)
    assert counts(database, *TABLES) == before


@pytest.mark.parametrize(("body", "field"), [
    ({"name": None}, None),
    ({"parent_id": str(uuid.uuid4())}, "parent_id"),
    ({"owner_id": str(uuid.uuid4())}, "owner_id"),
    ({"phone": "not a phone"}, "phone"),
])
def test_bad_company_update_changes_nothing(client, database, body, field):
    c = make_company(client, name="Stable")
    before = counts(database, *TABLES)
    assert_problem(client.patch(f"/api/v1/companies/{c['id']}",
                                json={"industry": "Changed", "tags": ["t"], **body}), 422,
                   field=field)
    assert counts(database, *TABLES) == before
    after = client.get(f"/api/v1/companies/{c['id']}").json()
    assert after["industry"] is None and after["version"] == 1


def test_parent_cycle_refused(client):
    a = make_company(client, name="A")
    b = make_company(client, name="B", parent_id=a["id"])
    c = make_company(client, name="C", parent_id=b["id"])
    assert_problem(client.patch(f"/api/v1/companies/{a['id']}", json={"parent_id": c["id"]}),
                   422, field="parent_id", code="company.parent_cycle")
    assert_problem(client.patch(f"/api/v1/companies/{a['id']}", json={"parent_id": a["id"]}),
                   422, field="parent_id", code="company.parent_cycle")
    assert client.get(f"/api/v1/companies/{a['id']}").json()["parent_id"] is None


def test_company_list_pages_by_name(client):
    names = [f"Firm {i:02d}" for i in range(23)]
    for n in reversed(names):
        make_company(client, name=n)
    for sort, expected in (("name", names), ("-name", names[::-1])):
        seen: list[str] = []
        cursor = None
        while True:
            params = {"sort": sort, "limit": 5, **({"cursor": cursor} if cursor else {})}
            page = client.get("/api/v1/companies", params=params).json()
            seen += [c["name"] for c in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == expected
    assert_problem(client.get("/api/v1/companies", params={"sort": "size"}), 422, field="sort")
    assert_problem(client.get("/api/v1/companies", params={"cursor": "garbage"}), 422,
                   field="cursor")
