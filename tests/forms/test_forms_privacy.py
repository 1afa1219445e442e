"""A person's form submissions are in their export and are blanked by their erasure."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from amity.activities.forms_models import FormSubmission
from amity.core.db import Database
from tests.forms.conftest import Clock, fill_token, make_form


def test_export_and_erase_cover_submissions(client: Any, anon: Any, database: Database,
                                            clock: Clock) -> None:
    f = make_form(client)
    token = fill_token(anon, f["public_key"])
    clock.advance(seconds=5)
    r = anon.post(f"/f/{f['public_key']}", json={"first_name": "Ada", "email": "ada@example.com",
                                                 "message": "call me", "_ts": token},
                  headers={"User-Agent": "Browser/1.0"})
    assert r.status_code == 201, r.text
    with database.transaction(write=False) as s:
        sub = s.scalar(select(FormSubmission))
        assert sub is not None and sub.contact_id is not None
        cid = sub.contact_id
    export = client.get(f"/api/v1/contacts/{cid}/export?format=json")
    assert export.status_code == 200, export.text
    [item] = export.json()["form_submissions"]
    assert item["values"]["message"] == "call me" and item["user_agent"] == "Browser/1.0"
    r = client.post(f"/api/v1/contacts/{cid}/erase", json={"confirm": str(cid)})
    assert r.status_code == 200, r.text
    with database.transaction(write=False) as s:
        sub = s.scalar(select(FormSubmission))
        assert sub is not None
        assert (sub.values, sub.conflicts, sub.ip, sub.user_agent) == ({}, {}, None, None)
