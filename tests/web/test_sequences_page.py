"""The sequences page builds a sequence step by step, including an email step sent at the
contact's best hour, and shows each step as stored."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.core.db import Database
from amity.sequences.models import Sequence, SequenceStep
from tests.web.conftest import page_csrf


def test_the_builder_stores_an_email_step_timed_to_the_best_hour(
        signed_in: TestClient, client: TestClient, database: Database) -> None:
    r = client.post("/api/v1/email-templates", json={"name": "Welcome", "subject": "Hi",
                                                      "body": "Hello"})
    assert r.status_code == 201, r.text
    template_id = r.json()["id"]
    page = signed_in.get("/sequences")
    assert 'name="timing"' in page.text and "at the contact\u2019s best hour" in page.text
    form: dict[str, Any] = {
        "csrf_token": page_csrf(signed_in, "/sequences"), "name": "Onboarding",
        "kind": ["email", "wait", "email"], "template_id": [template_id, "", template_id],
        "task_title": ["", "", ""], "wait_hours": ["", "24", ""],
        "timing": ["best_hour", "", ""]}
    r = signed_in.post("/sequences", data=form)
    assert r.status_code == 303, r.text
    with database.transaction(write=False) as s:
        seq = s.scalar(select(Sequence).where(Sequence.name == "Onboarding"))
        assert seq is not None
        steps = list(s.scalars(select(SequenceStep).where(SequenceStep.sequence_id == seq.id)
                               .order_by(SequenceStep.position)))
    assert [(st.kind, st.at_best_hour) for st in steps] == [
        ("email", True), ("wait", False), ("email", False)]
    shown = signed_in.get("/sequences").text
    assert shown.count("Send email at the contact\u2019s best hour") == 1
    assert shown.count("Send email</li>") == 1
