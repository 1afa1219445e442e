"""Merging contacts and companies through the API, and undoing it: every row that pointed at a
loser points at the survivor, nothing is lost, and undo restores every table exactly."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.auth.models import User
from amity.contacts.models import Contact
from amity.core.db import Base, Database
from amity.dedupe import rows
from amity.dedupe.models import DuplicateSuggestion, Merge
from tests.auth.world import make_records
from tests.factories import assert_problem, define_field

# what a merge writes about itself; everything else must read the same after undo
BOOKKEEPING = {"audit_log", "events", "merges", "merged_records", "duplicate_suggestions",
               "jobs", "idempotency_keys"}


def snapshot(database: Database, *, skip_version_of: set[uuid.UUID]) -> dict[str, Any]:
    """Every row of every table (sorted), without the version of the merged records."""
    out: dict[str, Any] = {}
    with database.transaction(write=False) as s:
        for t in Base.metadata.sorted_tables:
            if t.name in BOOKKEEPING:
                continue
            found = []
            for r in s.execute(select(*t.columns)).all():
                data = rows.row_json(t, r)
                if t.name in ("contacts", "companies") and uuid.UUID(data["id"]) in \
                        skip_version_of:
                    data.pop("version")
                found.append(repr(sorted(data.items())))
            out[t.name] = sorted(found)
    return out


def pointing_at(database: Database, entity: str, ids: set[uuid.UUID]) -> list[str]:
    """Live rows (other than the records themselves) that still name one of ``ids``."""
    found = []
    own = rows.ENTITY_TABLES[entity]
    with database.transaction(write=False) as s:
        for t, col in rows.referencing_columns(entity):
            stmt = select(t.c[col.name]).where(col.in_(ids))
            if t.name == own:
                stmt = stmt.where(t.c.id.not_in(ids))
            found += [f"{t.name}.{col.name}" for _ in s.execute(stmt)]
        for name, kind, id_col in rows.POLYMORPHIC:
            t = rows.table(name)
            found += [name for _ in s.execute(select(t.c.id).where(
                t.c[kind] == entity, t.c[id_col].in_(ids)))]
    return found


def _admin(database: Database) -> uuid.UUID:
    with database.transaction(write=False) as s:
        return s.scalars(select(User.id).where(User.email == "admin@example.com")).one()


def _pair(client: TestClient, database: Database) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two contacts, each with a company, note, deal, order, interaction, task and ticket;
    the same tag and email on both, a referral of the loser, consent and custom fields."""
    define_field(client, key="shoe_size", type="number")
    define_field(client, key="team", type="text")
    owner = _admin(database)
    a, b = make_records(database, owner), make_records(database, owner)
    r = client.patch(f"/api/v1/contacts/{a['contact_id']}", json={
        "first_name": "Ada", "last_name": "Lovelace", "emails": [{"email": "ada@example.com"}],
        "tags": ["vip"], "custom_fields": {"team": "red"}})
    assert r.status_code == 200, r.text
    r = client.patch(f"/api/v1/contacts/{b['contact_id']}", json={
        "first_name": "Ada", "last_name": "Lovelace King", "job_title": "Analyst",
        "emails": [{"email": "ada@example.com"}, {"email": "countess@example.com"}],
        "phones": [{"number": "+44 20 7946 0000"}], "tags": ["vip", "poet"],
        "custom_fields": {"team": "blue", "shoe_size": 38}})
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/contacts", json={"first_name": "Byron",
                                              "referred_by_id": str(b["contact_id"])})
    assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/contacts/{b['contact_id']}/consents",
                    json={"purpose": "marketing", "channel": "email", "status": "given"})
    assert r.status_code == 201, r.text
    return a, b


def test_merge_moves_everything_and_undo_restores_every_table(
        client: TestClient, database: Database) -> None:
    a, b = _pair(client, database)
    survivor, loser = a["contact_id"], b["contact_id"]
    with database.transaction() as s:
        s.add(DuplicateSuggestion(entity="contact", a_id=min(survivor, loser),
                                  b_id=max(survivor, loser), score=90.0,
                                  reasons=["same email"], status="open"))
    merged = {survivor, loser}
    before = snapshot(database, skip_version_of=merged)

    r = client.post("/api/v1/contacts/merge", json={
        "survivor_id": str(survivor), "loser_ids": [str(loser)],
        "choices": {"last_name": str(loser), "custom_fields.team": str(loser)}})
    assert r.status_code == 201, r.text
    merge = r.json()
    assert merge["moved"] > 10 and merge["removed"] >= 2  # the shared tag and email

    assert pointing_at(database, "contact", {loser}) == []
    c = client.get(f"/api/v1/contacts/{survivor}").json()
    assert c["last_name"] == "Lovelace King"  # chosen from the loser
    assert c["job_title"] == "Analyst"  # empty on the survivor: filled from the loser
    assert c["custom_fields"] == {"team": "blue", "shoe_size": 38}
    assert sorted(e["email"] for e in c["emails"]) == ["ada@example.com",
                                                      "countess@example.com"]
    assert sorted(c["tags"]) == ["poet", "vip"]
    assert client.get(f"/api/v1/contacts/{loser}").status_code == 404
    timeline = client.get(f"/api/v1/contacts/{survivor}/timeline").json()["items"]
    assert len(timeline) >= 2 * 3  # both contacts' notes, tasks, deals, orders, tickets...
    with database.transaction(write=False) as s:
        referred = s.scalars(select(Contact).where(Contact.first_name == "Byron")).one()
        assert referred.referred_by_id == survivor
        sugg = s.scalars(select(DuplicateSuggestion)).one()
        assert sugg.status == "merged" and str(sugg.merge_id) == merge["id"]
    history = client.get(f"/api/v1/contacts/{survivor}/history").json()
    assert any(h["action"] == "merge" for h in history)

    r = client.post(f"/api/v1/merges/{merge['id']}/undo")
    assert r.status_code == 200, r.text
    assert r.json()["undone_at"] is not None
    assert snapshot(database, skip_version_of=merged) == before
    with database.transaction(write=False) as s:
        assert s.scalars(select(DuplicateSuggestion.status)).one() == "open"
    assert client.get(f"/api/v1/contacts/{loser}").status_code == 200
    assert_problem(client.post(f"/api/v1/merges/{merge['id']}/undo"), 409,
                   code="merge.undone")


def test_merge_three_companies_and_undo(client: TestClient, database: Database) -> None:
    owner = _admin(database)
    recs = [make_records(database, owner) for _ in range(3)]
    ids = [r["company_id"] for r in recs]
    r = client.patch(f"/api/v1/companies/{ids[1]}", json={"parent_id": str(ids[0]),
                                                          "industry": "Bakery"})
    assert r.status_code == 200, r.text
    before = snapshot(database, skip_version_of=set(ids))
    r = client.post("/api/v1/companies/merge", json={
        "survivor_id": str(ids[0]), "loser_ids": [str(ids[1]), str(ids[2])],
        "choices": {"name": str(ids[2])}})
    assert r.status_code == 201, r.text
    assert pointing_at(database, "company", {ids[1], ids[2]}) == []
    co = client.get(f"/api/v1/companies/{ids[0]}").json()
    assert co["name"] == client.get(f"/api/v1/companies/{ids[2]}?include_deleted=true"
                                    ).json()["name"]
    assert co["industry"] == "Bakery" and co["parent_id"] is None  # never its own parent
    r = client.post(f"/api/v1/merges/{r.json()['id']}/undo")
    assert r.status_code == 200, r.text
    assert snapshot(database, skip_version_of=set(ids)) == before


def test_bad_merges_are_refused_and_change_nothing(client: TestClient,
                                                   database: Database) -> None:
    owner = _admin(database)
    a, b = make_records(database, owner), make_records(database, owner)
    sa, sb = str(a["contact_id"]), str(b["contact_id"])
    before = snapshot(database, skip_version_of=set())
    cases = [
        ({"survivor_id": sa, "loser_ids": []}, 422, "loser_ids"),
        ({"survivor_id": sa, "loser_ids": [sa]}, 422, "loser_ids"),
        ({"survivor_id": sa, "loser_ids": [sb, sb]}, 422, "loser_ids"),
        ({"survivor_id": sa, "loser_ids": [sb], "choices": {"password": sb}}, 422,
         "choices.password"),
        ({"survivor_id": sa, "loser_ids": [sb], "choices": {"last_name": str(uuid.uuid4())}},
         422, "choices.last_name"),
        ({"survivor_id": sa, "loser_ids": [str(uuid.uuid4())]}, 404, None),
        ({"survivor_id": sa, "loser_ids": [sb], "extra": 1}, 422, None),
        ({"survivor_id": "not-a-uuid", "loser_ids": [sb]}, 422, None),
    ]
    for body, status, field in cases:
        assert_problem(client.post("/api/v1/contacts/merge", json=body), status, field)
    # a company id is not a contact
    assert_problem(client.post("/api/v1/contacts/merge", json={
        "survivor_id": sa, "loser_ids": [str(b["company_id"])]}), 404)
    client.delete(f"/api/v1/contacts/{sb}")
    before = snapshot(database, skip_version_of=set())
    assert_problem(client.post("/api/v1/contacts/merge", json={
        "survivor_id": sa, "loser_ids": [sb]}), 422, code="merge.deleted")
    assert_problem(client.post(f"/api/v1/merges/{uuid.uuid4()}/undo"), 404)
    assert snapshot(database, skip_version_of=set()) == before


def test_undo_refused_when_a_loser_was_restored(client: TestClient, database: Database) -> None:
    owner = _admin(database)
    a, b = make_records(database, owner), make_records(database, owner)
    r = client.post("/api/v1/contacts/merge", json={
        "survivor_id": str(a["contact_id"]), "loser_ids": [str(b["contact_id"])]})
    assert r.status_code == 201, r.text
    assert client.post(f"/api/v1/contacts/{b['contact_id']}/restore").status_code == 200
    assert_problem(client.post(f"/api/v1/merges/{r.json()['id']}/undo"), 409,
                   code="merge.loser_changed")


def test_merge_is_idempotent_with_a_key(client: TestClient, database: Database) -> None:
    owner = _admin(database)
    a, b = make_records(database, owner), make_records(database, owner)
    body = {"survivor_id": str(a["contact_id"]), "loser_ids": [str(b["contact_id"])]}
    first = client.post("/api/v1/contacts/merge", json=body, headers={"Idempotency-Key": "m1"})
    again = client.post("/api/v1/contacts/merge", json=body, headers={"Idempotency-Key": "m1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    with database.transaction(write=False) as s:
        assert len(s.scalars(select(Merge)).all()) == 1


def test_erasing_a_merged_person_deletes_the_merge_copies(client: TestClient,
                                                          database: Database) -> None:
    owner = _admin(database)
    a, b = make_records(database, owner), make_records(database, owner)
    with database.transaction() as s:
        s.add(DuplicateSuggestion(entity="contact", a_id=min(a["contact_id"], b["contact_id"]),
                                  b_id=max(a["contact_id"], b["contact_id"]), score=70.0,
                                  reasons=[], status="dismissed"))
    r = client.post("/api/v1/contacts/merge", json={
        "survivor_id": str(a["contact_id"]), "loser_ids": [str(b["contact_id"])]})
    assert r.status_code == 201, r.text
    r = client.post(f"/api/v1/contacts/{a['contact_id']}/erase",
                    json={"confirm": str(a["contact_id"])})
    assert r.status_code == 200, r.text
    with database.transaction(write=False) as s:
        assert s.scalars(select(Merge)).all() == []
        assert s.scalars(select(DuplicateSuggestion)).all() == []
