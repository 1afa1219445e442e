"""Custom field definitions (admin only) and values of every type, stored and filtered."""

from __future__ import annotations

import pytest

from amity.contacts.models import Contact
from amity.core.customfields import CustomFieldDefinition
from tests.conftest import make_user
from tests.factories import assert_problem, count, define_field, make_contact


@pytest.fixture
def fields(client):
    return {d["key"]: d for d in (
        define_field(client, key="nickname_2", label="Alias", type="text"),
        define_field(client, key="score", type="number"),
        define_field(client, key="renewal", type="date"),
        define_field(client, key="tier", type="select", options=["gold", "silver", "bronze"]),
        define_field(client, key="interests", type="multi_select",
                     options=["golf", "wine", "jazz"]),
        define_field(client, key="newsletter", type="boolean"),
    )}


def test_definition_shape_and_listing(client, fields):
    assert fields["tier"] == {**fields["tier"], "entity": "contact", "type": "select",
                              "required": False, "sensitive": False,
                              "options": ["gold", "silver", "bronze"], "help_text": None}
    listed = client.get("/api/v1/custom-fields", params={"entity": "contact"}).json()
    assert [d["key"] for d in listed] == sorted(fields)
    assert client.get("/api/v1/custom-fields", params={"entity": "company"}).json() == []


def test_non_admin_cannot_define(app, database, client):
    _, token = make_user(database, admin=False)
    before = count(database, CustomFieldDefinition)
    r = client.post("/api/v1/custom-fields", headers={"Authorization": f"Bearer {token}"},
                    json={"entity": "contact", "key": "x", "label": "X", "type": "text"})
    assert_problem(r, 403, code="forbidden")
    assert count(database, CustomFieldDefinition) == before
    # but may read them
    assert client.get("/api/v1/custom-fields",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"key": "Bad Key", "type": "text"}, "key"),
    ({"key": "1abc", "type": "text"}, "key"),
    ({"key": "ok", "type": "colour"}, "type"),
    ({"key": "ok", "type": "select"}, "options"),
    ({"key": "ok", "type": "text", "entity": "invoice"}, "entity"),
    ({"key": "score", "type": "number"}, "key"),  # already defined
])
def test_bad_definitions(client, database, fields, body, field):
    before = count(database, CustomFieldDefinition)
    r = client.post("/api/v1/custom-fields", json={"entity": "contact", "label": "L", **body})
    assert_problem(r, 422, field=field)
    assert count(database, CustomFieldDefinition) == before


def test_values_of_every_type(client, fields):
    c = make_contact(client, custom_fields={
        "nickname_2": "Ace", "score": "42", "renewal": "2027-03-01", "tier": "gold",
        "interests": ["wine", "golf", "wine"], "newsletter": True})
    assert c["custom_fields"] == {"nickname_2": "Ace", "score": 42, "renewal": "2027-03-01",
                                  "tier": "gold", "interests": ["wine", "golf"],
                                  "newsletter": True}
    got = client.get(f"/api/v1/contacts/{c['id']}").json()
    assert got["custom_fields"] == c["custom_fields"]
    # decimals keep their precision as strings; PATCH merges and None removes
    r = client.patch(f"/api/v1/contacts/{c['id']}",
                     json={"custom_fields": {"score": 3.5, "tier": None}})
    assert r.status_code == 200, r.text
    assert r.json()["custom_fields"]["score"] == "3.5"
    assert "tier" not in r.json()["custom_fields"]
    assert r.json()["custom_fields"]["nickname_2"] == "Ace"
    history = client.get(f"/api/v1/contacts/{c['id']}/history").json()
    assert history[0]["changes"]["custom_fields"][1]["score"] == "3.5"


@pytest.mark.parametrize(("key", "value"), [
    ("nickname_2", 5), ("score", "many"), ("score", True), ("score", "NaN"),
    ("renewal", "March"), ("renewal", 20270301), ("tier", "platinum"), ("tier", ["gold"]),
    ("interests", "golf"), ("interests", ["golf", "chess"]), ("newsletter", "yes"),
    ("newsletter", 1),
])
def test_wrong_type_is_422(client, database, fields, key, value):
    before = count(database, Contact)
    r = client.post("/api/v1/contacts", json={"first_name": "A", "custom_fields": {key: value}})
    assert_problem(r, 422, field=f"custom_fields.{key}", code="custom_field.invalid")
    assert count(database, Contact) == before


def test_filter_by_custom_field(client, fields):
    gold = make_contact(client, custom_fields={"tier": "gold", "newsletter": True,
                                               "renewal": "2027-01-01", "score": 42,
                                               "interests": ["jazz"]})
    silver = make_contact(client, custom_fields={"tier": "silver", "newsletter": False,
                                                 "score": "2.5"})
    make_contact(client)

    def ids(**params):
        r = client.get("/api/v1/contacts", params=params)
        assert r.status_code == 200, r.text
        return {c["id"] for c in r.json()["items"]}

    assert ids(**{"cf.tier": "gold"}) == {gold["id"]}
    assert ids(**{"cf.tier": "silver"}) == {silver["id"]}
    assert ids(**{"cf.newsletter": "true"}) == {gold["id"]}
    assert ids(**{"cf.newsletter": "false"}) == {silver["id"]}
    assert ids(**{"cf.renewal": "2027-01-01"}) == {gold["id"]}
    assert ids(**{"cf.tier": "gold", "cf.newsletter": "false"}) == set()
    assert ids(**{"cf.tier": "bronze"}) == set()
    assert ids(**{"cf.score": "42"}) == {gold["id"]}
    assert ids(**{"cf.score": "2.5"}) == {silver["id"]}
    assert ids(**{"cf.score": "7"}) == set()
    assert_problem(client.get("/api/v1/contacts", params={"cf.bad-key;": "x"}), 422,
                   field="cf.bad-key;")


def test_company_custom_fields(client):
    define_field(client, entity="company", key="arr", type="number")
    r = client.post("/api/v1/companies", json={"name": "Big", "custom_fields": {"arr": 1200}})
    assert r.status_code == 201 and r.json()["custom_fields"] == {"arr": 1200}
    # a contact field is not a company field
    assert_problem(client.post("/api/v1/contacts", json={"first_name": "A",
                                                         "custom_fields": {"arr": 1}}),
                   422, field="custom_fields.arr")
