"""The public form: the hosted page, a submission making a contact with consent and a 'form'
interaction, an existing contact completed but never overwritten, refusals that store
nothing (invalid, honeypot, too fast, over the rate), CORS for the site's origins only,
visitor linking and idempotent retries."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from amity.activities.forms_models import FormSubmission
from amity.activities.models import Interaction
from amity.activities.outreach_models import WebEvent, WebVisitor
from amity.contacts.models import Contact, ContactConsent
from amity.core.db import Database
from amity.core.events import EventRecord
from tests.factories import assert_problem, count, make_contact
from tests.forms.conftest import Clock, fill_token, make_form

ORIGIN = "https://shop.example.com"


def _stored(database: Database) -> dict[str, int]:
    return {"submissions": count(database, FormSubmission), "contacts": count(database, Contact),
            "interactions": count(database, Interaction),
            "consents": count(database, ContactConsent)}


def _answers(**extra: Any) -> dict[str, Any]:
    return {"first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.com",
            "phone": "+1 415 555 0100", "company_name": "Analytical Engines",
            "job_title": "Mathematician", "message": "Please call me", "newsletter": "on",
            **extra}


def test_hosted_page_renders_without_sign_in(client: Any, anon: Any) -> None:
    f = make_form(client, title="Talk to us", description="We answer within a day")
    r = anon.get(f"/f/{f['public_key']}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Talk to us" in r.text and 'name="email"' in r.text and 'name="website"' in r.text
    assert "Send me the monthly newsletter" in r.text and 'name="viewport"' in r.text
    assert "csrf_token" not in r.text
    assert anon.get("/f/nope").status_code == 404
    client.patch(f"/api/v1/forms/{f['id']}", json={"enabled": False})
    assert anon.get(f"/f/{f['public_key']}").status_code == 404


def test_submit_creates_contact_consent_interaction_and_event(
        client: Any, anon: Any, database: Database, clock: Clock) -> None:
    f = make_form(client, tags=["web lead"], lifecycle_stage="subscriber", source="website")
    token = fill_token(anon, f["public_key"])
    clock.advance(seconds=5)
    r = anon.post(f"/f/{f['public_key']}", data={**_answers(), "_ts": token},
                  headers={"User-Agent": "Browser/1.0"})
    assert r.status_code == 201, r.text
    assert 'id="form-done"' in r.text and "Thank you" in r.text
    with database.transaction(write=False) as s:
        c = s.scalar(select(Contact))
        assert c is not None
        assert (c.first_name, c.last_name, c.job_title) == ("Ada", "Lovelace", "Mathematician")
        assert [e.email for e in c.emails] == ["ada@example.com"]
        assert [p.e164 for p in c.phones] == ["+14155550100"]
        assert c.company is not None and c.company.name == "Analytical Engines"
        assert (c.lifecycle_stage, c.source, [t.name for t in c.tags]) == (
            "subscriber", "website", ["web lead"])
        consent = s.scalar(select(ContactConsent))
        assert consent is not None
        assert (consent.purpose, consent.channel, consent.status, consent.source,
                consent.note) == ("newsletter", "email", "given", "form",
                                  "Send me the monthly newsletter")
        sub = s.scalar(select(FormSubmission))
        assert sub is not None and sub.contact_id == c.id and sub.contact_created
        assert sub.values["email"] == "Ada@Example.com" and sub.values["newsletter"] is True
        assert sub.user_agent == "Browser/1.0" and sub.ip
        i = s.get(Interaction, sub.interaction_id)
        assert i is not None and i.channel == "form" and i.direction == "inbound"
        assert i.contact_ids == [c.id] and "Message: Please call me" in (i.body or "")
        types = set(s.scalars(select(EventRecord.type)))
        assert {"form.submitted", "contact.created", "contact.consent_changed"} <= types
    timeline = client.get(f"/api/v1/contacts/{c.id}/timeline")
    if timeline.status_code == 200:
        assert any(x.get("channel") == "form" or "Form" in str(x)
                   for x in timeline.json()["items"])
    page = client.get(f"/api/v1/forms/{f['id']}/submissions").json()
    assert [x["contact_id"] for x in page["items"]] == [str(c.id)]


def test_existing_contact_is_completed_never_overwritten(
        client: Any, anon: Any, database: Database, clock: Clock) -> None:
    known = make_contact(client, first_name="Augusta", last_name="King",
                         emails=[{"email": "ada@example.com"}])
    f = make_form(client)
    token = fill_token(anon, f["public_key"])
    clock.advance(seconds=5)
    r = anon.post(f"/f/{f['public_key']}", json={**_answers(), "_ts": token})
    assert r.status_code == 201, r.text
    assert set(r.json()) == {"submission_id", "message", "redirect_url"}
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Contact)) == 1
        c = s.get(Contact, known["id"]) if False else s.scalar(select(Contact))
        assert c is not None
        assert (c.first_name, c.last_name) == ("Augusta", "King")  # kept
        assert c.job_title == "Mathematician"  # was empty: filled
        assert [p.e164 for p in c.phones] == ["+14155550100"]
        sub = s.scalar(select(FormSubmission))
        assert sub is not None and not sub.contact_created
        assert sub.conflicts["first_name"] == {"existing": "Augusta", "submitted": "Ada"}
        assert sub.conflicts["last_name"] == {"existing": "King", "submitted": "Lovelace"}


def test_match_by_phone_when_no_email_matches(client: Any, anon: Any, database: Database,
                                              clock: Clock) -> None:
    make_contact(client, first_name="Grace", phones=[{"number": "+14155550100"}])
    f = make_form(client)
    token = fill_token(anon, f["public_key"])
    clock.advance(seconds=5)
    r = anon.post(f"/f/{f['public_key']}", json={**_answers(first_name="Grace"), "_ts": token})
    assert r.status_code == 201, r.text
    with database.transaction(write=False) as s:
        contacts = list(s.scalars(select(Contact)))
        assert len(contacts) == 1 and [e.email for e in contacts[0].emails] == [
            "ada@example.com"]  # had no email: added


def test_invalid_answers_get_422_per_field_and_nothing_is_stored(
        client: Any, anon: Any, database: Database, clock: Clock) -> None:
    f = make_form(client, consents=[{"key": "terms", "purpose": "transactional",
                                     "text": "I accept the terms", "required": True}])
    token = fill_token(anon, f["public_key"])
    clock.advance(seconds=5)
    before = _stored(database)
    r = anon.post(f"/f/{f['public_key']}", json={"first_name": "", "email": "not-an-email",
                                                 "phone": "12", "_ts": token})
    body = assert_problem(r, 422, code="form.invalid")
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"first_name", "email", "phone", "terms"}, body
    # the hosted page shows the errors next to the fields and keeps what was typed
    r = anon.post(f"/f/{f['public_key']}", data={"first_name": "Ada", "email": "nope",
                                                 "_ts": token})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert 'id="e-email"' in r.text and 'value="Ada"' in r.text and 'id="e-terms"' in r.text
    assert _stored(database) == before


def test_honeypot_too_fast_and_bad_token_are_refused(client: Any, anon: Any,
                                                     database: Database, clock: Clock) -> None:
    f = make_form(client)
    key = f["public_key"]
    token = fill_token(anon, key)
    clock.advance(seconds=1)
    assert_problem(anon.post(f"/f/{key}", json={**_answers(), "_ts": token}), 422,
                   code="form.too_fast")
    clock.advance(seconds=5)
    assert_problem(anon.post(f"/f/{key}", json={**_answers(), "_ts": token,
                                                "website": "http://spam"}), 422,
                   code="form.refused")
    assert_problem(anon.post(f"/f/{key}", json={**_answers(), "_ts": token + "x"}), 422,
                   code="form.token")
    assert_problem(anon.post(f"/f/{key}", json=_answers()), 422, code="form.token")
    other = make_form(client, name="Other")
    assert_problem(anon.post(f"/f/{other['public_key']}", json={**_answers(), "_ts": token}),
                   422, code="form.token")  # a token is for one form only
    clock.advance(days=3)
    assert_problem(anon.post(f"/f/{key}", json={**_answers(), "_ts": token}), 422,
                   code="form.token")  # expired
    assert _stored(database) == {"submissions": 0, "contacts": 0, "interactions": 0,
                                 "consents": 0}


def test_rate_limits_per_key_and_per_address(client: Any, anon: Any, database: Database,
                                             clock: Clock) -> None:
    f = make_form(client, rate_limit_per_minute=100, per_ip_per_hour=2)
    key = f["public_key"]
    token = fill_token(anon, key)
    clock.advance(seconds=5)
    for n in range(2):
        r = anon.post(f"/f/{key}", json={**_answers(email=f"p{n}@example.com"), "_ts": token})
        assert r.status_code == 201, r.text
    r = anon.post(f"/f/{key}", json={**_answers(email="p3@example.com"), "_ts": token})
    assert_problem(r, 429, code="form.rate_limited")
    assert int(r.headers["retry-after"]) > 0
    assert count(database, FormSubmission) == 2
    clock.advance(hours=1, seconds=1)
    assert anon.post(f"/f/{key}", json={**_answers(email="p4@example.com"),
                                        "_ts": token}).status_code == 201
    g = make_form(client, name="Tight", rate_limit_per_minute=1)
    token = fill_token(anon, g["public_key"])
    clock.advance(seconds=5)
    assert anon.post(f"/f/{g['public_key']}", json={**_answers(email="q1@example.com"),
                                                    "_ts": token}).status_code == 201
    assert_problem(anon.post(f"/f/{g['public_key']}", json={
        **_answers(email="q2@example.com"), "_ts": token}), 429)
    clock.advance(minutes=1)
    assert anon.post(f"/f/{g['public_key']}", json={**_answers(email="q3@example.com"),
                                                    "_ts": token}).status_code == 201


def test_cors_for_the_sites_origins_only(client: Any, anon: Any, database: Database,
                                         clock: Clock) -> None:
    site = client.post("/api/v1/sites", json={"name": "Shop", "allowed_origins": [ORIGIN]})
    f = make_form(client, site_id=site.json()["id"])
    key = f["public_key"]
    pre = {"Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "content-type"}
    r = anon.options(f"/f/{key}", headers={"Origin": ORIGIN, **pre})
    assert r.status_code == 204 and r.headers["access-control-allow-origin"] == ORIGIN
    r = anon.options(f"/f/{key}", headers={"Origin": "https://evil.example", **pre})
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
    plain = make_form(client, name="No site")
    r = anon.options(f"/f/{plain['public_key']}", headers={"Origin": ORIGIN, **pre})
    assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
    d = anon.get(f"/f/{key}/definition", headers={"Origin": ORIGIN})
    assert d.status_code == 200 and d.headers["access-control-allow-origin"] == ORIGIN
    clock.advance(seconds=5)
    r = anon.post(f"/f/{key}", json={**_answers(), "_ts": d.json()["token"]},
                  headers={"Origin": ORIGIN})
    assert r.status_code == 201 and r.headers["access-control-allow-origin"] == ORIGIN
    r = anon.post(f"/f/{key}", json={**_answers(email="x@example.com"),
                                     "_ts": d.json()["token"]},
                  headers={"Origin": "https://evil.example"})
    assert_problem(r, 403, code="form.origin_refused")
    assert count(database, FormSubmission) == 1


def test_visitor_is_linked_with_past_events(client: Any, anon: Any, database: Database,
                                            clock: Clock) -> None:
    site = client.post("/api/v1/sites", json={"name": "Shop",
                                              "allowed_origins": [ORIGIN]}).json()
    r = anon.post("/api/v1/events", content=json.dumps(
        {"type": "page_view", "url": f"{ORIGIN}/pricing", "visitor_id": "visitor-0042"}),
        headers={"Content-Type": "application/json", "X-Amity-Key": site["public_key"]})
    assert r.status_code == 202, r.text
    f = make_form(client, site_id=site["id"])
    token = fill_token(anon, f["public_key"])
    clock.advance(seconds=5)
    r = anon.post(f"/f/{f['public_key']}", json={**_answers(), "_ts": token,
                                                 "visitor_id": "visitor-0042",
                                                 "page_url": f"{ORIGIN}/contact"},
                  headers={"Origin": ORIGIN})
    assert r.status_code == 201, r.text
    with database.transaction(write=False) as s:
        c = s.scalar(select(Contact))
        assert c is not None
        v = s.scalar(select(WebVisitor).where(WebVisitor.visitor_key == "visitor-0042"))
        assert v is not None and v.contact_id == c.id
        evs = list(s.scalars(select(WebEvent).order_by(WebEvent.type)))
        assert [(e.type, e.contact_id) for e in evs] == [("form_submit", c.id),
                                                         ("page_view", c.id)]
        sub = s.scalar(select(FormSubmission))
        assert sub is not None and sub.visitor_key == "visitor-0042"


def test_same_submission_id_is_stored_once(client: Any, anon: Any, database: Database,
                                           clock: Clock) -> None:
    f = make_form(client, redirect_url="https://example.com/thanks")
    token = fill_token(anon, f["public_key"])
    clock.advance(seconds=5)
    body = {**_answers(), "_ts": token, "submission_id": "client-123"}
    first = anon.post(f"/f/{f['public_key']}", json=body)
    again = anon.post(f"/f/{f['public_key']}", json=body)
    assert first.status_code == 201 and again.status_code == 200, again.text
    assert first.json()["submission_id"] == again.json()["submission_id"]
    assert first.json()["redirect_url"] == "https://example.com/thanks"
    assert _stored(database) == {"submissions": 1, "contacts": 1, "interactions": 1,
                                 "consents": 1}
    # the hosted page follows the redirect URL after a submission
    r = anon.post(f"/f/{f['public_key']}", data={**_answers(email="b@example.com"),
                                                 "_ts": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "https://example.com/thanks"


def test_oversize_and_malformed_bodies(client: Any, anon: Any, database: Database) -> None:
    f = make_form(client)
    key = f["public_key"]
    assert_problem(anon.post(f"/f/{key}", content=b"x" * (65 * 1024),
                             headers={"Content-Type": "application/x-www-form-urlencoded"}),
                   413)
    assert_problem(anon.post(f"/f/{key}", content=b"{not json",
                             headers={"Content-Type": "application/json"}), 400)
    assert_problem(anon.post(f"/f/{key}", content=b"[1, 2]",
                             headers={"Content-Type": "application/json"}), 400)
    assert count(database, FormSubmission) == 0
