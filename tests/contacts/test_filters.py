"""List filters: tags (AND), owner, lifecycle stages, time ranges, email, phone, do_not_contact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from amity.core.clock import set_clock
from tests.conftest import make_user
from tests.factories import assert_problem, make_company, make_contact

T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def _at(moment):
    set_clock(lambda: moment)


@pytest.fixture
def world(client, database):
    other, _ = make_user(database, email="rep@example.com")
    comp = make_company(client, name="Filterco")
    try:
        _at(T0)
        a = make_contact(client, first_name="A", tags=["vip", "golf"], lifecycle_stage="lead",
                         emails=[{"email": "a@example.com"}],
                         phones=[{"number": "(415) 555-0101"}], company_id=comp["id"])
        _at(T0 + timedelta(days=1))
        b = make_contact(client, first_name="B", tags=["vip"], lifecycle_stage="customer",
                         owner_id=str(other.id), do_not_contact=True, source="web",
                         emails=[{"email": "b@example.com"}, {"email": "shared@example.com"}])
        _at(T0 + timedelta(days=2))
        c = make_contact(client, first_name="C", tags=["golf"], lifecycle_stage="churned",
                         phones=[{"number": "+1 415 555 0102"}], referred_by_id=a["id"],
                         emails=[{"email": "shared@example.com"}])
        _at(T0 + timedelta(days=10))
        client.patch(f"/api/v1/contacts/{a['id']}", json={"nickname": "touched"})
    finally:
        set_clock(None)
    return {"a": a["id"], "b": b["id"], "c": c["id"], "other": str(other.id),
            "company": comp["id"]}


def _ids(client, w, params):
    r = client.get("/api/v1/contacts", params=params)
    assert r.status_code == 200, r.text
    names = {v: k for k, v in w.items()}
    return {names[c["id"]] for c in r.json()["items"]}


@pytest.mark.parametrize(("params", "expected"), [
    ({}, {"a", "b", "c"}),
    ({"tag": "vip"}, {"a", "b"}),
    ({"tag": ["vip", "golf"]}, {"a"}),            # several tags: AND
    ({"tag": ["VIP", "Golf"]}, {"a"}),            # case-insensitive
    ({"tag": ["vip", "nope"]}, set()),
    ({"lifecycle_stage": "lead"}, {"a"}),
    ({"lifecycle_stage": ["lead", "churned"]}, {"a", "c"}),
    ({"do_not_contact": True}, {"b"}),
    ({"do_not_contact": False}, {"a", "c"}),
    ({"email": "shared@example.com"}, {"b", "c"}),
    ({"email": "A@Example.com"}, {"a"}),
    ({"phone": "415-555-0101"}, {"a"}),
    ({"phone": "+14155550102"}, {"c"}),
    ({"source": "web"}, {"b"}),
    ({"created_after": "2026-02-02T00:00:00Z"}, {"b", "c"}),
    ({"created_before": "2026-02-02T00:00:00Z"}, {"a"}),
    ({"created_after": "2026-02-02T12:00:00Z", "created_before": "2026-02-03T12:00:00Z"},
     {"b"}),  # after is inclusive, before exclusive
    ({"created_after": "2026-02-02T13:00:00+01:00"}, {"b", "c"}),  # offsets honoured
    ({"updated_after": "2026-02-05T00:00:00Z"}, {"a"}),
    ({"updated_before": "2026-02-05T00:00:00Z"}, {"b", "c"}),
    ({"tag": "vip", "lifecycle_stage": "customer", "do_not_contact": True}, {"b"}),
])
def test_filters(client, world, params, expected):
    assert _ids(client, world, params) == expected


def test_owner_company_and_referral_filters(client, world, admin_user):
    assert _ids(client, world, {"owner_id": world["other"]}) == {"b"}
    assert _ids(client, world, {"owner_id": str(admin_user[0].id)}) == {"a", "c"}
    assert _ids(client, world, {"company_id": world["company"]}) == {"a"}
    assert _ids(client, world, {"referred_by_id": world["a"]}) == {"c"}
    client.patch(f"/api/v1/contacts/{world['c']}", json={"owner_id": None})
    assert _ids(client, world, {"unowned": True}) == {"c"}


@pytest.mark.parametrize("params", [
    {"lifecycle_stage": "alien"}, {"owner_id": "me"}, {"do_not_contact": "maybe"},
    {"created_after": "last week"}, {"phone": "not a phone"}, {"updated_before": "2026-01-01"},
])
def test_bad_filters_are_422(client, params):
    problem = assert_problem(client.get("/api/v1/contacts", params=params), 422)
    assert problem["field"].split(".")[0] == next(iter(params))  # lifecycle_stage.0 for lists


@pytest.mark.parametrize("name", ["created_after", "created_before", "updated_after",
                                  "updated_before"])
def test_naive_time_filter_names_its_field(client, name):
    assert_problem(client.get("/api/v1/contacts", params={name: "2026-01-01T00:00:00"}), 422,
                   field=name, code="datetime.naive")
