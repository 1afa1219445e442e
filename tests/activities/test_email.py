"""Email to contacts: templates in the sandbox, the refusals, the job that sends once over a
real SMTP server (aiosmtpd on 127.0.0.1), the headers and the outbound email interaction."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from amity.activities.models import Interaction
from amity.config import Settings
from amity.core.db import Database
from amity.jobs.models import Job
from amity.jobs.worker import run_until_idle
from tests.activities.conftest import Inbox, smtp_settings
from tests.factories import assert_problem, make_contact


@pytest.fixture
def mail_settings(app: Any, settings: Settings, inbox: Inbox) -> Settings:
    app.state.settings = smtp_settings(settings, inbox).model_copy(
        update={"smtp_from": "Amity <crm@example.com>"})
    return app.state.settings


def person(client: Any, consent: bool = True, **fields: Any) -> dict[str, Any]:
    c = make_contact(client, emails=[{"email": f"ada-{uuid.uuid4().hex[:6]}@example.com",
                                      "primary": True}], **fields)
    if consent:
        r = client.post(f"/api/v1/contacts/{c['id']}/consents",
                        json={"purpose": "marketing", "channel": "email", "status": "given"})
        assert r.status_code == 201, r.text
    return c


def count(database: Database, model: Any) -> int:
    with database.transaction(write=False) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def text_of(msg: Any) -> str:
    part = msg.get_body(preferencelist=("plain",)) if hasattr(msg, "get_body") else None
    if part is None:
        for p in msg.walk():
            if p.get_content_type() == "text/plain":
                part = p
                break
    return str(part.get_payload(decode=True).decode())


def html_of(msg: Any) -> str:
    for p in msg.walk():
        if p.get_content_type() == "text/html":
            return str(p.get_payload(decode=True).decode())
    raise AssertionError("no html part")


def send(client: Any, contact_id: Any, **body: Any) -> Any:
    return client.post(f"/api/v1/contacts/{contact_id}/emails", json=body)


def test_email_is_sent_once_with_headers_and_logged(client: Any, database: Database,
                                                    inbox: Inbox,
                                                    mail_settings: Settings) -> None:
    c = person(client, first_name="Ada")
    r = send(client, c["id"], subject="Hello {{ first_name }}",
             body="Dear {{ first_name }},\nsee https://example.org/offer?x=1 today.")
    assert r.status_code == 202, r.text
    out = r.json()
    assert out["channel"] == "email" and out["direction"] == "outbound"
    assert out["subject"] == "Hello Ada" and out["message_id"].startswith("<")
    assert inbox.messages == []  # sent by the job, after the commit
    run_until_idle(database, mail_settings)
    run_until_idle(database, mail_settings)  # again: nothing more is sent
    [msg] = inbox.messages
    assert msg["Message-ID"] == out["message_id"]
    assert msg["Subject"] == "Hello Ada" and msg["To"] == c["emails"][0]["email"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsub = msg["List-Unsubscribe"].strip("<>")
    assert unsub.startswith("https://crm.example.com/u/")
    text = text_of(msg)
    assert "Dear Ada," in text and f"Unsubscribe: {unsub}" in text
    assert "https://example.org/offer" not in text  # the link became a signed redirect
    assert "https://crm.example.com/t/c/" in text
    assert "https://crm.example.com/t/o/" in html_of(msg)
    tl = client.get(f"/api/v1/contacts/{c['id']}/timeline").json()
    assert any(item.get("id") == out["id"] or item.get("interaction", {}).get("id") == out["id"]
               or out["id"] in str(item) for item in tl["items"])


def test_template_rendered_with_contact_fields_and_variables(client: Any, database: Database,
                                                             inbox: Inbox,
                                                             mail_settings: Settings) -> None:
    t = client.post("/api/v1/email-templates", json={
        "name": "Welcome", "subject": "Welcome, {{ first_name }}",
        "body": "Hi {{ name }}, your code is {{ code }}.{% if job_title %} ({{ job_title }})"
                "{% endif %}"})
    assert t.status_code == 201, t.text
    c = person(client, first_name="Grace", last_name="Hopper", job_title="Admiral")
    r = send(client, c["id"], template_id=t.json()["id"], variables={"code": "X7"})
    assert r.status_code == 202, r.text
    assert r.json()["subject"] == "Welcome, Grace"
    assert r.json()["body"] == "Hi Grace Hopper, your code is X7. (Admiral)"
    run_until_idle(database, mail_settings)
    assert "Hi Grace Hopper, your code is X7. (Admiral)" in text_of(inbox.messages[0])


@pytest.mark.parametrize("body", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ first_name.__class__ }}",
    "{{ range.__globals__ }}",
    "{% for x in range(10**9) %}{% endfor %}",
    "Hi {{ unknown_variable }}",
])
def test_templates_cannot_reach_outside(client: Any, database: Database, body: str) -> None:
    c = person(client)
    before = count(database, Interaction), count(database, Job)
    assert_problem(send(client, c["id"], subject="Hi", body=body), 422, "body",
                   "email.template_invalid")
    assert (count(database, Interaction), count(database, Job)) == before


def test_unsafe_attribute_is_a_422_and_nothing_is_recorded(client: Any,
                                                          database: Database) -> None:
    c = person(client)
    before = count(database, Interaction), count(database, Job)
    r = send(client, c["id"], subject="Hi", body="{{ ''.__class__.__mro__ }}")
    assert_problem(r, 422, "body", "email.template_invalid")
    r = send(client, c["id"], subject="{{ first_name", body="x")
    assert_problem(r, 422, "subject", "email.template_invalid")
    assert (count(database, Interaction), count(database, Job)) == before


def test_refusals_send_nothing(client: Any, database: Database, inbox: Inbox,
                               mail_settings: Settings) -> None:
    no_address = make_contact(client)
    no_consent = person(client, consent=False)
    dnc = person(client, do_not_contact=True)
    before = count(database, Interaction), count(database, Job)
    assert_problem(send(client, no_address["id"], subject="Hi", body="x",
                        purpose="transactional"), 422, "contact_id", "email.no_address")
    assert_problem(send(client, dnc["id"], subject="Hi", body="x", purpose="transactional"),
                   422, "contact_id", "email.do_not_contact")
    assert_problem(send(client, no_consent["id"], subject="Hi", body="x"), 422, "purpose",
                   "email.no_consent")
    assert_problem(send(client, no_consent["id"], subject="Hi"), 422)
    assert_problem(send(client, no_consent["id"], template_id=str(uuid.uuid4())), 422,
                   "template_id", "email_template.not_found")
    assert_problem(send(client, uuid.uuid4(), subject="Hi", body="x"), 404)
    assert (count(database, Interaction), count(database, Job)) == before
    # transactional mail needs no consent row
    assert send(client, no_consent["id"], subject="Receipt", body="Thanks",
                purpose="transactional").status_code == 202
    run_until_idle(database, mail_settings)
    assert len(inbox.messages) == 1


def test_consent_withdrawn_before_the_job_runs_sends_nothing(client: Any, database: Database,
                                                             inbox: Inbox,
                                                             mail_settings: Settings) -> None:
    c = person(client)
    assert send(client, c["id"], subject="Offer", body="x").status_code == 202
    client.post(f"/api/v1/contacts/{c['id']}/consents",
                json={"purpose": "marketing", "channel": "email", "status": "withdrawn"})
    run_until_idle(database, mail_settings)
    assert inbox.messages == []


def test_idempotency_key_sends_one_email(client: Any, database: Database, inbox: Inbox,
                                         mail_settings: Settings) -> None:
    c = person(client)
    h = {"Idempotency-Key": "send-1"}
    r1 = client.post(f"/api/v1/contacts/{c['id']}/emails", json={"subject": "A", "body": "b"},
                     headers=h)
    r2 = client.post(f"/api/v1/contacts/{c['id']}/emails", json={"subject": "A", "body": "b"},
                     headers=h)
    assert r1.json()["id"] == r2.json()["id"]
    run_until_idle(database, mail_settings)
    assert len(inbox.messages) == 1


def test_template_crud_and_validation(client: Any) -> None:
    r = client.post("/api/v1/email-templates", json={"name": "T1", "subject": "S",
                                                     "body": "B", "purpose": "newsletter"})
    assert r.status_code == 201 and r.headers["ETag"] == '"v1"'
    tid = r.json()["id"]
    assert_problem(client.post("/api/v1/email-templates",
                               json={"name": "T1", "subject": "S", "body": "B"}), 409)
    assert_problem(client.post("/api/v1/email-templates",
                               json={"name": "T2", "subject": "{% if %}", "body": "B"}),
                   422, "subject", "email.template_invalid")
    assert_problem(client.post("/api/v1/email-templates",
                               json={"name": "T3", "subject": "S", "body": "B",
                                     "purpose": "spam"}), 422)
    g = client.get(f"/api/v1/email-templates/{tid}")
    assert g.json()["purpose"] == "newsletter" and g.headers["ETag"] == '"v1"'
    assert_problem(client.patch(f"/api/v1/email-templates/{tid}", json={"body": "New"},
                                headers={"If-Match": '"v9"'}), 412)
    p = client.patch(f"/api/v1/email-templates/{tid}", json={"body": "New"},
                     headers={"If-Match": '"v1"'})
    assert p.status_code == 200 and p.json()["body"] == "New" and p.json()["version"] == 2
    assert [t["name"] for t in client.get("/api/v1/email-templates").json()] == ["T1"]
    assert client.delete(f"/api/v1/email-templates/{tid}").status_code == 204
    assert_problem(client.get(f"/api/v1/email-templates/{tid}"), 404)
    assert client.get("/api/v1/email-templates").json() == []
