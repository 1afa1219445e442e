"""Web: the contact page loads the privacy panel; consent form; history; export; erase; /audit."""

from __future__ import annotations

from fastapi.testclient import TestClient

from amity.contacts.models import ContactConsent
from amity.core.db import Database
from tests.conftest import make_user
from tests.factories import count, make_contact
from tests.web.conftest import page_csrf, sign_in

HX = {"HX-Request": "true"}


def test_contact_page_panel_consent_and_history(client: TestClient, signed_in: TestClient,
                                                database: Database) -> None:
    c = make_contact(client, first_name="Ada", personal_notes="secret <b>recipe</b>")
    client.patch(f"/api/v1/contacts/{c['id']}", json={"job_title": "Baker"})
    page = signed_in.get(f"/contacts/{c['id']}").text
    assert f'hx-get="/contacts/{c["id"]}/privacy"' in page
    panel = signed_in.get(f"/contacts/{c['id']}/privacy", headers=HX)
    assert panel.status_code == 200 and "<html" not in panel.text
    assert "Baker" in panel.text and "job_title" in panel.text  # the history
    assert "recipe" not in panel.text and "***" in panel.text  # masked in the history
    assert "No consent recorded" in panel.text

    token = page_csrf(signed_in, f"/contacts/{c['id']}")
    r = signed_in.post(f"/contacts/{c['id']}/consents", headers=HX, data={
        "purpose": "newsletter", "channel": "email", "status": "given",
        "source": "<i>counter</i>", "csrf_token": token})
    assert r.status_code == 200 and "given" in r.text
    assert "&lt;i&gt;counter&lt;/i&gt;" in r.text and "<i>counter" not in r.text
    bad = signed_in.post(f"/contacts/{c['id']}/consents", data={
        "purpose": "spam", "channel": "email", "status": "given", "csrf_token": token})
    assert bad.status_code == 422 and "purpose must be one of" in bad.text
    forged = signed_in.post(f"/contacts/{c['id']}/consents", data={
        "purpose": "newsletter", "channel": "email", "status": "given", "csrf_token": "x"})
    assert forged.status_code == 403
    assert count(database, ContactConsent) == 1
    full = signed_in.get(f"/contacts/{c['id']}/privacy")
    assert full.status_code == 200 and "<html" in full.text and "Newsletter" in full.text


def test_export_and_erase_from_the_web(client: TestClient, signed_in: TestClient) -> None:
    c = make_contact(client, first_name="Zebulon", last_name="Quagmire")
    client.post(f"/api/v1/contacts/{c['id']}/notes", json={"body": "<script>x()</script>"})
    html = signed_in.get(f"/contacts/{c['id']}/export")
    assert html.status_code == 200 and "attachment" in html.headers["content-disposition"]
    assert "Zebulon" in html.text and "<script>x()" not in html.text
    assert signed_in.get(f"/contacts/{c['id']}/export?format=json").json()["contact"][
        "first_name"] == "Zebulon"
    token = page_csrf(signed_in, f"/contacts/{c['id']}")
    wrong = signed_in.post(f"/contacts/{c['id']}/erase", data={"confirm": "nope",
                                                              "csrf_token": token})
    assert wrong.status_code == 422 and "confirm" in wrong.text
    assert client.get(f"/api/v1/contacts/{c['id']}").json()["first_name"] == "Zebulon"
    r = signed_in.post(f"/contacts/{c['id']}/erase", data={"confirm": c["id"],
                                                          "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/contacts"
    assert signed_in.get(f"/contacts/{c['id']}").status_code == 404
    person = client.get(f"/api/v1/contacts/{c['id']}?include_deleted=true").json()
    assert person["display_name"] == "Erased contact"


def test_audit_page_for_admins_only(client: TestClient, signed_in: TestClient, app: object,
                                    database: Database) -> None:
    for i in range(3):
        make_contact(client, first_name=f"Person{i}", job_title="<b>Chef</b>")
    page = signed_in.get("/audit")
    assert page.status_code == 200 and 'href="/audit"' in page.text
    assert page.text.count('class="timeline-item audit-entry"') >= 3
    assert "&lt;b&gt;Chef&lt;/b&gt;" in page.text and "<b>Chef" not in page.text
    filtered = signed_in.get("/audit", params={"entity_type": "company"})
    assert "audit-entry" not in filtered.text and "No entries match" in filtered.text
    dated = signed_in.get("/audit", params={"at_from": "2999-01-01"})
    assert "audit-entry" not in dated.text
    assert signed_in.get("/audit", params={"entity_id": "nope"}).status_code == 422
    make_user(database, email="rep@example.com")  # a sales rep
    with TestClient(app, follow_redirects=False) as rep:  # type: ignore[arg-type]
        assert sign_in(rep, "rep@example.com").status_code == 303
        denied = rep.get("/audit")
        assert denied.status_code == 403 and "audit-entry" not in denied.text
        assert 'href="/audit"' not in rep.get("/contacts").text
