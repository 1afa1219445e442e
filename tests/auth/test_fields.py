"""Field-level protection: personal notes and sensitive custom fields are never sent to users
who may not see them, and such users may not write them; owners stay within create scope."""

from __future__ import annotations

from typing import Any

from amity.core.db import Database
from tests.auth.world import build_world, fingerprint
from tests.factories import assert_problem

SECRET = "allergic to penicillin"


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _setup(anon: Any, database: Database) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    w = build_world(database)
    root = _h(w.tokens["root"])
    for body in ({"entity": "contact", "key": "health", "label": "Health", "type": "text",
                  "sensitive": True},
                 {"entity": "contact", "key": "shoe", "label": "Shoe", "type": "text"},
                 {"entity": "company", "key": "credit", "label": "Credit", "type": "number",
                  "sensitive": True}):
        assert anon.post("/api/v1/custom-fields", json=body, headers=root).status_code == 201
    contact = anon.post("/api/v1/contacts", headers=root, json={
        "first_name": "Sensitive", "last_name": "Sally", "personal_notes": SECRET,
        "owner_id": str(w.ids["sales_rep"]),
        "custom_fields": {"health": "asthma", "shoe": "42"}}).json()
    r = anon.patch(f"/api/v1/contacts/{contact['id']}", headers=root,
                   json={"personal_notes": SECRET + "!", "custom_fields": {"health": "flu"}})
    assert r.status_code == 200, r.text
    company = anon.post("/api/v1/companies", headers=root, json={
        "name": "Secretive Ltd", "owner_id": str(w.ids["sales_rep"]),
        "custom_fields": {"credit": 1000}}).json()
    return w, contact, company


def _hidden(c: dict[str, Any]) -> None:
    assert c["personal_notes"] is None
    assert c["custom_fields"] == {"shoe": "42"}


def test_reads_hide_sensitive_fields_from_those_who_may_not_see_them(
        anon: Any, database: Database) -> None:
    w, contact, company = _setup(anon, database)
    cid = contact["id"]
    for role in ("sales_rep", "support_agent", "read_only"):
        h = _h(w.tokens[role])
        _hidden(anon.get(f"/api/v1/contacts/{cid}", headers=h).json())
        _hidden(anon.get(f"/api/v1/contacts/{cid}/360", headers=h).json()["contact"])
        listed = anon.get("/api/v1/contacts", headers=h).json()["items"]
        searched = anon.get("/api/v1/contacts", params={"q": "Sally"}, headers=h).json()["items"]
        for items in (listed, searched):
            found = [c for c in items if c["id"] == cid]
            assert len(found) == 1, role
            _hidden(found[0])
        history = anon.get(f"/api/v1/contacts/{cid}/history", headers=h)
        assert SECRET not in history.text and "asthma" not in history.text
        assert "flu" not in history.text
        update = next(e for e in history.json() if e["action"] == "update")
        assert update["changes"]["personal_notes"] == ["***", "***"]
        assert update["changes"]["custom_fields"][1]["health"] == "***"
        co = anon.get(f"/api/v1/companies/{company['id']}", headers=h).json()
        assert co["custom_fields"] == {}
        assert all("credit" not in c["custom_fields"] for c in anon.get(
            "/api/v1/companies", headers=h).json()["items"])
        assert "1000" not in anon.get(f"/api/v1/companies/{company['id']}/history",
                                      headers=h).text
    for role in ("admin", "manager"):  # their roles may see sensitive fields
        c = anon.get(f"/api/v1/contacts/{cid}", headers=_h(w.tokens[role])).json()
        assert c["personal_notes"] == SECRET + "!"
        assert c["custom_fields"] == {"health": "flu", "shoe": "42"}
        co = anon.get(f"/api/v1/companies/{company['id']}", headers=_h(w.tokens[role])).json()
        assert co["custom_fields"] == {"credit": 1000}


def test_writes_of_sensitive_fields_are_refused_naming_the_field(
        anon: Any, database: Database) -> None:
    w, contact, company = _setup(anon, database)
    rep = _h(w.tokens["sales_rep"])
    cid = contact["id"]
    before = fingerprint(database)
    assert_problem(anon.patch(f"/api/v1/contacts/{cid}", headers=rep,
                              json={"personal_notes": "overwrite"}), 403,
                   field="personal_notes", code="field.forbidden")
    assert_problem(anon.patch(f"/api/v1/contacts/{cid}", headers=rep,
                              json={"personal_notes": None}), 403, field="personal_notes")
    assert_problem(anon.patch(f"/api/v1/contacts/{cid}", headers=rep,
                              json={"custom_fields": {"health": None}}), 403,
                   field="custom_fields.health")
    assert_problem(anon.post("/api/v1/contacts", headers=rep,
                             json={"first_name": "N", "custom_fields": {"health": "x"}}), 403,
                   field="custom_fields.health")
    assert_problem(anon.post("/api/v1/contacts/bulk", headers=rep, json={"items": [
        {"first_name": "A"}, {"first_name": "B", "personal_notes": "x"}]}), 403,
        field="items.1.personal_notes")
    assert_problem(anon.patch(f"/api/v1/companies/{company['id']}", headers=rep,
                              json={"custom_fields": {"credit": 1}}), 403,
                   field="custom_fields.credit")
    assert fingerprint(database) == before
    # other fields still change, and the hidden values survive a merge of custom fields
    r = anon.patch(f"/api/v1/contacts/{cid}", headers=rep,
                   json={"job_title": "Chef", "custom_fields": {"shoe": "43"}})
    assert r.status_code == 200, r.text
    assert r.json()["personal_notes"] is None and r.json()["custom_fields"] == {"shoe": "43"}
    full = anon.get(f"/api/v1/contacts/{cid}", headers=_h(w.tokens["root"])).json()
    assert full["personal_notes"] == SECRET + "!"
    assert full["custom_fields"] == {"health": "flu", "shoe": "43"}


def test_owner_must_lie_within_the_create_or_edit_scope(anon: Any, database: Database) -> None:
    w = build_world(database)
    rep, mgr = _h(w.tokens["sales_rep"]), _h(w.tokens["manager"])
    before = fingerprint(database)
    # contacts.create is 'all' for a sales rep, so any owner is fine there; companies.edit is
    # 'team' and contacts.edit 'own'; a manager works in 'team' scope throughout
    assert_problem(anon.post("/api/v1/contacts", headers=mgr, json={
        "first_name": "X", "owner_id": str(w.ids["outsider"])}), 403, field="owner_id")
    assert_problem(anon.post("/api/v1/contacts/bulk", headers=mgr, json={"items": [
        {"first_name": "X", "owner_id": str(w.ids["mate"])},
        {"first_name": "Y", "owner_id": str(w.ids["outsider"])}]}), 403,
        field="items.1.owner_id")
    assert fingerprint(database) == before
    ok = anon.post("/api/v1/contacts", headers=mgr,
                   json={"first_name": "X", "owner_id": str(w.ids["mate"])})
    assert ok.status_code == 201 and ok.json()["owner_id"] == str(w.ids["mate"])
    mine = anon.post("/api/v1/contacts", headers=rep, json={"first_name": "Mine"}).json()
    before = fingerprint(database)
    assert_problem(anon.patch(f"/api/v1/contacts/{mine['id']}", headers=rep,
                              json={"owner_id": str(w.ids["mate"])}), 403, field="owner_id")
    co = anon.post("/api/v1/companies", headers=rep, json={"name": "Rep Co"}).json()
    before = fingerprint(database)
    assert_problem(anon.patch(f"/api/v1/companies/{co['id']}", headers=rep,
                              json={"owner_id": str(w.ids["outsider"])}), 403, field="owner_id")
    assert fingerprint(database) == before
    r = anon.patch(f"/api/v1/companies/{co['id']}", headers=rep,
                   json={"owner_id": str(w.ids["mate"])})
    assert r.status_code == 200 and r.json()["owner_id"] == str(w.ids["mate"])


def test_sensitive_interaction_fields_are_hidden_and_refused(anon: Any,
                                                             database: Database) -> None:
    w, contact, _ = _setup(anon, database)
    root, rep = _h(w.tokens["root"]), _h(w.tokens["sales_rep"])
    for body in ({"entity": "interaction", "key": "mood", "label": "Mood", "type": "text",
                  "sensitive": True},
                 {"entity": "interaction", "key": "topic", "label": "Topic", "type": "text"}):
        assert anon.post("/api/v1/custom-fields", json=body, headers=root).status_code == 201
    r = anon.post("/api/v1/interactions", headers=root, json={
        "channel": "call", "direction": "inbound", "external_source": "pbx",
        "external_id": "call-1", "participants": [{"contact_id": contact["id"]}],
        "custom_fields": {"mood": "furious", "topic": "billing"}})
    assert r.status_code == 201, r.text
    iid = r.json()["id"]
    shown = anon.get(f"/api/v1/interactions/{iid}", headers=rep)
    assert shown.status_code == 200 and shown.json()["custom_fields"] == {"topic": "billing"}
    listed = anon.get("/api/v1/interactions", params={"contact_id": contact["id"]},
                      headers=rep).json()["items"]
    assert [i["custom_fields"] for i in listed if i["id"] == iid] == [{"topic": "billing"}]
    again = anon.post("/api/v1/interactions", headers=rep, json={  # the same external id
        "channel": "call", "direction": "inbound", "external_source": "pbx",
        "external_id": "call-1", "participants": [{"contact_id": contact["id"]}]})
    assert again.status_code == 200 and "furious" not in again.text
    before = fingerprint(database)
    assert_problem(anon.patch(f"/api/v1/interactions/{iid}", headers=rep,
                              json={"custom_fields": {"mood": "calm"}}), 403,
                   field="custom_fields.mood", code="field.forbidden")
    assert_problem(anon.post("/api/v1/interactions", headers=rep, json={
        "channel": "call", "participants": [{"contact_id": contact["id"]}],
        "custom_fields": {"mood": "calm"}}), 403, field="custom_fields.mood")
    assert fingerprint(database) == before
    r = anon.patch(f"/api/v1/interactions/{iid}", headers=rep,
                   json={"custom_fields": {"topic": "refund"}})
    assert r.status_code == 200, r.text
    assert r.json()["custom_fields"] == {"topic": "refund"}
    full = anon.get(f"/api/v1/interactions/{iid}", headers=_h(w.tokens["admin"])).json()
    assert full["custom_fields"] == {"mood": "furious", "topic": "refund"}
