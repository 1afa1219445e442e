"""Erasing a person leaves no trace of their personal data anywhere, and keeps the row."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from amity.contacts.models import Contact
from amity.core.audit import AuditEntry
from amity.core.db import Base, Database
from amity.notes.models import Note
from tests.factories import assert_problem, count, define_field, make_contact

MARKERS = ("zebulon", "quagmire", "zeb.q@example.org", "4155550199", "walnuts", "x1234567q",
           "harbour kiosk", "lighthouse", "marina drive", "tuesdays")


def _absent(where: str, blob: str) -> None:
    low = blob.lower()
    found = [m for m in MARKERS if m in low]
    assert not found, f"{found} still in {where}"


def _zebulon(client: TestClient) -> dict[str, str]:
    define_field(client, key="passport_no", type="text", sensitive=True)
    r = client.post("/api/v1/contacts", headers={"Idempotency-Key": "zeb-1"}, json={
        "first_name": "Zebulon", "last_name": "Quagmire", "nickname": "Zeb Quagmire",
        "emails": [{"email": "zeb.q@example.org"}], "phones": [{"number": "(415) 555-0199"}],
        "addresses": [{"street": "1 Marina Drive", "city": "Lighthouse Point"}],
        "personal_notes": "Allergic to walnuts", "best_time_to_contact": "Tuesdays",
        "custom_fields": {"passport_no": "X1234567Q"}, "tags": ["sailing"]})
    assert r.status_code == 201, r.text
    c = r.json()
    cid = c["id"]
    for body in ("Zebulon asked about the lighthouse tour", "<b>Quagmire</b> family visit"):
        r = client.post(f"/api/v1/contacts/{cid}/notes", json={"body": body},
                        headers={"Idempotency-Key": f"note-{body[:5]}"})
        assert r.status_code == 201
    note_id = r.json()["id"]
    assert client.patch(f"/api/v1/notes/{note_id}",
                        json={"body": "Quagmire family visit, lighthouse"}).status_code == 200
    assert client.patch(f"/api/v1/contacts/{cid}", json={"job_title": "Lighthouse keeper",
                                                         "last_name": "Quagmire-Smith"}
                        ).status_code == 200
    client.post(f"/api/v1/contacts/{cid}/consents", json={
        "purpose": "marketing", "channel": "email", "status": "given",
        "source": "harbour kiosk", "note": "Zebulon signed at the harbour kiosk"})
    return c


def _dump_all_tables(database: Database) -> dict[str, str]:
    out = {}
    with database.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(table.select()).all()
            out[table.name] = json.dumps([list(r) for r in rows], default=str)
    return out


def test_erasure_leaves_no_personal_data_anywhere(client: TestClient, database: Database,
                                                  signed_in: TestClient) -> None:
    other = make_contact(client, first_name="Other", last_name="Person")
    zeb = _zebulon(client)
    cid = zeb["id"]
    friend = make_contact(client, first_name="Friend", referred_by_id=cid)
    assert [c["id"] for c in client.get("/api/v1/contacts",
                                        params={"q": "Zebulon"}).json()["items"]] == [cid]
    before = _dump_all_tables(database)
    assert "walnuts" not in before["audit_log"].lower()  # masked from the start
    assert "zebulon" in before["audit_log"].lower()
    assert "zebulon" in before["idempotency_keys"].lower()
    n_contacts, n_notes = count(database, Contact), count(database, Note)

    r = client.post(f"/api/v1/contacts/{cid}/erase", json={"confirm": cid})
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["notes_erased"] == 2 and result["already_erased"] is False
    assert result["idempotency_records_deleted"] == 3

    # search, through every API view
    for q in ("Zebulon", "Quagmire", "zeb.q@example.org", "415 555 0199", "Zeb"):
        for deleted in ("exclude", "include", "only"):
            r = client.get("/api/v1/contacts", params={"q": q, "deleted": deleted})
            assert r.status_code == 200
            assert cid not in r.text
            _absent(f"search {q}", r.text)
    views = [client.get(f"/api/v1/contacts/{cid}", params={"include_deleted": True}),
             client.get("/api/v1/contacts", params={"deleted": "include", "limit": 200}),
             client.get(f"/api/v1/contacts/{cid}/360"),
             client.get(f"/api/v1/contacts/{friend['id']}/360"),
             client.get(f"/api/v1/contacts/{cid}/history"),
             client.get(f"/api/v1/contacts/{cid}/notes"),
             client.get(f"/api/v1/contacts/{cid}/consents"),
             client.get(f"/api/v1/contacts/{cid}/export"),
             client.get(f"/api/v1/contacts/{cid}/export", params={"format": "html"}),
             client.get("/api/v1/audit", params={"limit": 200}),
             signed_in.get(f"/contacts/{cid}"),
             signed_in.get(f"/contacts/{cid}/privacy"),
             signed_in.get("/audit")]
    for resp in views:
        _absent(str(resp.request.url), resp.text)
    web_search = signed_in.get("/contacts", params={"q": "Zebulon"})
    assert web_search.status_code == 200 and cid not in web_search.text  # the query echoes
    person = views[0].json()
    assert person["display_name"] == "Erased contact" and person["deleted_at"]
    assert person["emails"] == [] and person["phones"] == [] and person["custom_fields"] == {}
    assert person["tags"] == ["sailing"]  # tags describe the relationship, not the person
    export = views[7].json()
    assert [n["body"] for n in export["notes"]] == ["[erased]", "[erased]"]
    assert export["contact"]["erased_at"]

    # the database itself, every table
    for table, rows in _dump_all_tables(database).items():
        _absent(f"table {table}", rows)
    assert count(database, Contact) == n_contacts and count(database, Note) == n_notes
    assert client.get(f"/api/v1/contacts/{other['id']}").json()["first_name"] == "Other"
    with database.transaction(write=False) as s:
        erase_entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "erase")).one()
        scrubbed = s.scalars(select(AuditEntry).where(AuditEntry.entity_id == uuid.UUID(cid),
                                                      AuditEntry.action == "update")).one()
    assert erase_entry.actor_id is not None and str(erase_entry.entity_id) == cid
    assert scrubbed.changes["job_title"] == [None, "***"]  # keys kept, values gone
    assert scrubbed.changes["last_name"] == ["***", "***"]


def test_sqlite_fts_index_forgets_the_erased_terms(client: TestClient,
                                                   database: Database) -> None:
    if database.dialect != "sqlite":
        pytest.skip("the FTS5 index exists on SQLite only")
    zeb = _zebulon(client)
    query = "SELECT count(*) FROM contacts_fts WHERE contacts_fts MATCH :q"
    with database.engine.connect() as conn:
        assert conn.execute(text(query), {"q": '"zebulon"'}).scalar() == 1
    client.post(f"/api/v1/contacts/{zeb['id']}/erase", json={"confirm": zeb["id"]})
    with database.engine.begin() as conn:
        for term in ('"zebulon"', '"quagmire"', '"zeb.q@example"', '"4155550199"'):
            assert conn.execute(text(query), {"q": term}).scalar() == 0, term
        conn.execute(text("CREATE VIRTUAL TABLE temp.fts_terms "
                          "USING fts5vocab(main, contacts_fts, 'row')"))
        terms = {t for (t,) in conn.execute(text("SELECT term FROM temp.fts_terms"))}
    assert not terms & {"zeb", "ebu", "bul", "ulo", "qua", "uag", "agm", "gmi", "mir"}


def test_erase_needs_confirmation_admin_and_is_idempotent(client: TestClient, app: object,
                                                          database: Database) -> None:
    with database.transaction() as s:
        from amity.auth import service as auth

        manager = auth.create_user(s, email="m@example.com", name="M",
                                   password="correct horse battery", role="manager")
        _, token = auth.create_api_token(s, user=manager, name="t")
    c = make_contact(client, first_name="Zebulon", owner_id=str(manager.id))  # theirs to see
    assert_problem(client.post(f"/api/v1/contacts/{c['id']}/erase",
                               json={"confirm": str(uuid.uuid4())}), 422, field="confirm")
    assert client.post(f"/api/v1/contacts/{c['id']}/erase", json={}).status_code == 422
    with TestClient(app) as m:  # type: ignore[arg-type]
        m.headers["Authorization"] = f"Bearer {token}"
        assert_problem(m.post(f"/api/v1/contacts/{c['id']}/erase",
                              json={"confirm": c["id"]}), 403)
    assert client.get(f"/api/v1/contacts/{c['id']}").json()["first_name"] == "Zebulon"
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.action == "erase")) == 0
    first = client.post(f"/api/v1/contacts/{c['id']}/erase", json={"confirm": c["id"]})
    second = client.post(f"/api/v1/contacts/{c['id']}/erase", json={"confirm": c["id"]})
    assert first.status_code == second.status_code == 200
    assert second.json()["already_erased"] is True
    assert second.json()["erased_at"] == first.json()["erased_at"]
    assert_problem(client.post(f"/api/v1/contacts/{uuid.uuid4()}/erase",
                               json={"confirm": c["id"]}), 404)
