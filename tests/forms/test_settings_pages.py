"""Settings → Forms in the web UI: build a form from rows (no JSON), errors shown beside the
rows with nothing saved, the hosted URL and embed snippets, the latest submissions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from amity.activities.forms_models import Form
from amity.core.db import Database
from tests.factories import count
from tests.web.conftest import page_csrf, signed_in, web, web_user

__all__ = ["signed_in", "web", "web_user"]


def _rows(**extra: str) -> dict[str, str]:
    return {"name": "Demo request", "title": "Book a demo", "enabled": "on",
            "field-0-maps_to": "first_name", "field-0-label": "Your name",
            "field-0-required": "on", "field-0-type": "text",
            "field-1-maps_to": "email", "field-1-label": "Work email", "field-1-type": "email",
            "field-1-required": "on",
            "field-2-maps_to": "message", "field-2-label": "", "field-2-type": "textarea",
            "consent-0-text": "Email me product news", "consent-0-purpose": "marketing",
            "consent-0-channel": "email", "consent-0-key": "news",
            "tags": "demo, inbound", "min_fill_seconds": "2", "rate_limit_per_minute": "30",
            "per_ip_per_hour": "5", **extra}


def test_build_a_form_from_rows(signed_in: Any, database: Database) -> None:
    r = signed_in.get("/settings/forms")
    assert r.status_code == 200 and 'href="/settings/forms"' in r.text
    assert 'id="no-forms"' in r.text
    r = signed_in.get("/settings/forms/new")
    assert r.status_code == 200 and 'name="field-0-label"' in r.text
    csrf = page_csrf(signed_in, "/settings/forms/new")
    r = signed_in.post("/settings/forms", data={**_rows(), "csrf_token": csrf})
    assert r.status_code == 303, r.text
    with database.transaction(write=False) as s:
        form = s.scalar(select(Form))
        assert form is not None
        assert [(f["maps_to"], f["label"], f["required"]) for f in form.fields] == [
            ("first_name", "Your name", True), ("email", "Work email", True)]
        assert form.consents == [{"key": "news", "purpose": "marketing", "channel": "email",
                                  "text": "Email me product news", "required": False}]
        assert form.tags == ["demo", "inbound"] and form.per_ip_per_hour == 5
        fid, key = form.id, form.public_key
    page = signed_in.get(r.headers["location"])
    assert page.status_code == 200 and 'id="form-saved"' in page.text
    assert f"/f/{key}" in page.text and "amity-form.js" in page.text
    assert f'data-amity-form="{key}"' in page.text.replace("&#34;", '"').replace(
        "&lt;", "<").replace("&gt;", ">")
    # edit: the rows come back filled in; a stale version is refused
    edit = signed_in.get(f"/settings/forms/{fid}/edit")
    assert 'value="Work email"' in edit.text and 'value="Email me product news"' in edit.text
    csrf = page_csrf(signed_in, f"/settings/forms/{fid}/edit")
    r = signed_in.post(f"/settings/forms/{fid}", data={**_rows(title="Talk to sales"),
                                                       "version": "1", "csrf_token": csrf})
    assert r.status_code == 303, r.text
    r = signed_in.post(f"/settings/forms/{fid}", data={**_rows(title="Stale"),
                                                       "version": "1", "csrf_token": csrf})
    assert r.status_code == 412 and "Someone else saved" in r.text
    with database.transaction(write=False) as s:
        form = s.get(Form, fid)
        assert form is not None and form.title == "Talk to sales" and form.version == 2


def test_bad_rows_are_shown_and_nothing_is_saved(signed_in: Any, database: Database) -> None:
    csrf = page_csrf(signed_in, "/settings/forms/new")
    r = signed_in.post("/settings/forms", data={**_rows(redirect_url="javascript:alert(1)"),
                                                "csrf_token": csrf})
    assert r.status_code == 422 and 'id="redirect_url-error"' in r.text
    assert 'value="Work email"' in r.text  # what was typed stays
    no_contact_field = _rows(**{"field-1-label": ""})
    r = signed_in.post("/settings/forms", data={**no_contact_field, "csrf_token": csrf})
    assert r.status_code == 422 and "email or a phone" in r.text
    r = signed_in.post("/settings/forms", data=_rows())  # no CSRF token
    assert r.status_code == 403
    assert count(database, Form) == 0
