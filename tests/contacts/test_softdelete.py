"""Soft delete: gone from reads, lists and search; listed with deleted=only; restorable."""

from __future__ import annotations

from tests.factories import assert_problem, make_company, make_contact


def _ids(client, **params):
    r = client.get("/api/v1/contacts", params=params)
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["items"]]


def test_delete_hides_and_restore_brings_back(client):
    comp = make_company(client, name="Quokka Holdings")
    gone = make_contact(client, first_name="Wilhelmina", last_name="Quarterman",
                        emails=[{"email": "wq@example.com"}], phones=[{"number": "415 555 0199"}],
                        company_id=comp["id"], tags=["vip"])
    keep = make_contact(client, first_name="Kept", last_name="Around", tags=["vip"])
    url = f"/api/v1/contacts/{gone['id']}"
    assert client.delete(url).status_code == 204
    assert client.delete(url).status_code == 404  # deleting again: not found

    assert_problem(client.get(url), 404, code="contact.not_found")
    assert_problem(client.patch(url, json={"nickname": "x"}), 404)
    assert_problem(client.get(f"{url}/360"), 404)
    assert_problem(client.post(f"{url}/notes", json={"body": "x"}), 404)
    assert _ids(client) == [keep["id"]]
    assert _ids(client, tag="vip") == [keep["id"]]
    for q in ("Quarterman", "quar", "wq@example.com", "4155550199", "Quokka"):
        assert _ids(client, q=q) == [], q
    assert _ids(client, deleted="only") == [gone["id"]]
    assert set(_ids(client, deleted="include")) == {gone["id"], keep["id"]}
    got = client.get(url, params={"include_deleted": True})
    assert got.status_code == 200 and got.json()["deleted_at"] is not None

    r = client.post(f"{url}/restore")
    assert r.status_code == 200 and r.json()["deleted_at"] is None
    assert client.get(url).status_code == 200
    assert set(_ids(client)) == {gone["id"], keep["id"]}
    assert _ids(client, q="Quarterman") == [gone["id"]]
    assert _ids(client, deleted="only") == []
    history = client.get(f"{url}/history").json()
    assert [h["action"] for h in history] == ["restore", "delete", "create"]


def test_deleted_company_drops_out_of_company_search(client):
    comp = make_company(client, name="Vanishing Widgets")
    c = make_contact(client, company_id=comp["id"])
    assert _ids(client, q="Vanishing") == [c["id"]]
    assert client.delete(f"/api/v1/companies/{comp['id']}").status_code == 204
    assert _ids(client, q="Vanishing") == []
    # a deleted company cannot be linked to
    assert_problem(client.post("/api/v1/contacts", json={"first_name": "A",
                                                         "company_id": comp["id"]}),
                   422, field="company_id")


def test_deleted_referrer_hidden_from_360(client):
    a = make_contact(client, first_name="Ref")
    b = make_contact(client, referred_by_id=a["id"])
    client.delete(f"/api/v1/contacts/{b['id']}")
    assert client.get(f"/api/v1/contacts/{a['id']}/360").json()["referrals"] == []
    client.post(f"/api/v1/contacts/{b['id']}/restore")
    client.delete(f"/api/v1/contacts/{a['id']}")
    assert client.get(f"/api/v1/contacts/{b['id']}/360").json()["referred_by"] is None
