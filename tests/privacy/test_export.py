"""Export everything about one person: complete JSON, escaped HTML, audited, access-checked."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.core.audit import AuditEntry
from amity.core.db import Database
from tests.factories import assert_problem, define_field, make_company, make_contact


def _person(client: TestClient) -> tuple[dict[str, object], dict[str, object]]:
    define_field(client, key="passport_no", type="text", sensitive=True)
    company = make_company(client, name="Harbour Ltd")
    c = make_contact(client, first_name="Ada", last_name="Lovelace", company_id=company["id"],
                     emails=[{"email": "ada@example.org"}], phones=[{"number": "+44 20 7946 0018"}],
                     addresses=[{"street": "12 St James's Square", "city": "London",
                                 "country": "GB"}],
                     social_profiles=[{"network": "mastodon", "handle": "@ada"}],
                     important_dates=[{"label": "Wedding", "date": "1835-07-08"}],
                     tags=["vip"], personal_notes="Likes <b>maths</b>",
                     custom_fields={"passport_no": "P-555"})
    client.post(f"/api/v1/contacts/{c['id']}/notes",
                json={"body": "<script>alert('x')</script> met at the club"})
    client.post(f"/api/v1/contacts/{c['id']}/consents",
                json={"purpose": "newsletter", "channel": "email", "status": "given"})
    friend = make_contact(client, first_name="Mary", last_name="Somerville",
                          referred_by_id=c["id"])
    return c, friend


def test_json_export_is_complete(client: TestClient, database: Database) -> None:
    c, friend = _person(client)
    r = client.get(f"/api/v1/contacts/{c['id']}/export")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert "attachment" in r.headers["content-disposition"]
    d = r.json()
    person = d["contact"]
    assert person["emails"][0]["email"] == "ada@example.org"
    assert person["phones"][0]["e164"] == "+442079460018"
    assert person["addresses"][0]["city"] == "London"
    assert person["social_profiles"][0]["handle"] == "@ada"
    assert person["important_dates"][0]["label"] == "Wedding"
    assert person["tags"] == ["vip"] and person["personal_notes"] == "Likes <b>maths</b>"
    assert person["custom_fields"] == {"passport_no": "P-555"}
    assert d["custom_field_labels"] == {"passport_no": "Passport_No"}
    assert d["company"]["name"] == "Harbour Ltd"
    assert [n["body"] for n in d["notes"]] == ["<script>alert('x')</script> met at the club"]
    assert d["consents"]["current"][0]["purpose"] == "newsletter"
    assert len(d["consents"]["history"]) == 1
    assert {(h["entity_type"], h["action"]) for h in d["history"]} >= {
        ("contact", "create"), ("contact", "consent"), ("note", "create")}
    assert d["referrals"] == [{"id": friend["id"], "display_name": "Mary Somerville"}]
    with database.transaction(write=False) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert str(entry.entity_id) == c["id"] and entry.changes["format"] == [None, "json"]


def test_html_export_escapes_everything(client: TestClient) -> None:
    c, _ = _person(client)
    r = client.get(f"/api/v1/contacts/{c['id']}/export", params={"format": "html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "<script>alert" not in html and "<b>maths" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; met at the club" in html
    assert "Likes &lt;b&gt;maths&lt;/b&gt;" in html
    assert "ada@example.org" in html and "Passport_No" in html and "P-555" in html
    assert "Mary Somerville" in html and "Harbour Ltd" in html


def test_export_needs_the_export_permission(client: TestClient, app: object,
                                            database: Database) -> None:
    from amity.auth import service as auth

    c = make_contact(client)
    with database.transaction() as s:
        rep = auth.create_user(s, email="rep@example.com", name="Rep",
                               password="correct horse battery", role="sales_rep")
        _, token = auth.create_api_token(s, user=rep, name="t")
    with TestClient(app) as other:  # type: ignore[arg-type]
        other.headers["Authorization"] = f"Bearer {token}"
        r = other.get(f"/api/v1/contacts/{c['id']}/export")
        assert r.status_code in (403, 404)
    assert_problem(client.get(f"/api/v1/contacts/{c['id']}/export",
                              params={"format": "pdf"}), 422)
    with database.transaction(write=False) as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "export")).first() \
            is None
