"""Settings > Tags: usage counts, rename, merge (records carrying both keep one), delete;
a rename onto another tag's name is refused inline and changes nothing; each is audited."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core.audit import AuditEntry
from amity.core.db import Database
from amity.core.tags import Tag
from tests.web.conftest import page_csrf


def _tag_id(database: Database, name: str) -> uuid.UUID:
    with database.transaction() as s:
        tag = s.scalar(select(Tag).where(Tag.name == name))
        assert tag is not None, name
        return tag.id


def _contact_tags(database: Database) -> dict[str, list[str]]:
    with database.transaction() as s:
        return {c.first_name or "": sorted(t.name for t in c.tags)
                for c in s.scalars(select(Contact))}


def test_rename_merge_and_delete_tags(client: TestClient, signed_in: TestClient,
                                      database: Database) -> None:
    for first, tags in (("Ann", ["vip", "wholesale"]), ("Bob", ["VIP-old"]),
                        ("Cy", ["vip", "VIP-old"])):
        assert client.post("/api/v1/contacts", json={"first_name": first,
                                                     "tags": tags}).status_code == 201
    assert client.post("/api/v1/companies", json={"name": "Acme",
                                                  "tags": ["VIP-old"]}).status_code == 201
    page = signed_in.get("/settings/tags").text
    assert "1 company, 2 contacts" in page  # VIP-old
    token = page_csrf(signed_in, "/settings/tags")

    old, vip = _tag_id(database, "VIP-old"), _tag_id(database, "vip")
    r = signed_in.post(f"/settings/tags/{old}/rename", data={"csrf_token": token,
                                                            "name": "Vip"})
    assert r.status_code == 409 and "merge the two instead" in r.text
    r = signed_in.post(f"/settings/tags/{old}/merge", data={"csrf_token": token,
                                                           "into": str(vip)})
    assert r.status_code == 303
    assert _contact_tags(database) == {"Ann": ["vip", "wholesale"], "Bob": ["vip"],
                                       "Cy": ["vip"]}
    with database.transaction() as s:
        acme = s.scalar(select(Company).where(Company.name == "Acme"))
        assert acme is not None and [t.name for t in acme.tags] == ["vip"]
        assert s.get(Tag, old) is None

    r = signed_in.post(f"/settings/tags/{vip}/rename", data={"csrf_token": token,
                                                            "name": "Very important"})
    assert r.status_code == 303
    assert _contact_tags(database)["Bob"] == ["Very important"]
    # the renamed tag is found again by its new name when tagging
    assert client.post("/api/v1/contacts", json={"first_name": "Dee",
                                                 "tags": ["very important"]}).status_code == 201
    with database.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Tag)) == 2

    wholesale = _tag_id(database, "wholesale")
    r = signed_in.post(f"/settings/tags/{wholesale}/delete", data={"csrf_token": token})
    assert r.status_code == 303
    assert _contact_tags(database)["Ann"] == ["Very important"]
    with database.transaction() as s:
        actions = sorted(s.scalars(select(AuditEntry.action)
                                   .where(AuditEntry.entity_type == "tag")))
    assert actions == ["delete", "merge", "update"]


def test_bad_merge_target_and_permissions(client: TestClient, signed_in: TestClient,
                                          database: Database) -> None:
    assert client.post("/api/v1/contacts", json={"first_name": "Ann",
                                                 "tags": ["a", "b"]}).status_code == 201
    token = page_csrf(signed_in, "/settings/tags")
    a = _tag_id(database, "a")
    for into in ("not-a-uuid", str(uuid.uuid4()), str(a)):
        r = signed_in.post(f"/settings/tags/{a}/merge", data={"csrf_token": token,
                                                             "into": into})
        assert r.status_code == 422 and 'role="alert"' in r.text, into
    r = signed_in.post(f"/settings/tags/{a}/rename", data={"csrf_token": token, "name": " "})
    assert r.status_code == 422
    assert _contact_tags(database) == {"Ann": ["a", "b"]}
    r = signed_in.post(f"/settings/tags/{a}/delete", data={})
    assert r.status_code == 403
    assert _contact_tags(database) == {"Ann": ["a", "b"]}
