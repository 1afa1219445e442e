"""The scoring and sequences screens: the score panel of the contact page, Settings > Lead
scoring (add and delete a rule, the threshold) and /sequences (create with steps, enrol, stop),
all with plain forms; refused input changes nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from amity.core.db import Database
from amity.jobs.worker import run_until_idle
from amity.scoring.models import ScoringRule
from amity.sequences.models import Sequence, SequenceEnrolment
from tests.factories import count, make_contact
from tests.web.conftest import page_csrf, signed_in, web, web_user

__all__ = ["signed_in", "web", "web_user"]


def test_score_panel_on_the_contact_page(client: Any, signed_in: TestClient,
                                         database: Database, settings: Any) -> None:
    client.post("/api/v1/scoring/rules", json={"name": "Director", "kind": "profile",
                                               "field": "job_title", "operator": "contains",
                                               "value": "Director", "points": 12})
    c = make_contact(client, first_name="Dora", job_title="Director of Sales")
    run_until_idle(database, settings)
    page = signed_in.get(f"/contacts/{c['id']}")
    assert page.status_code == 200 and f'hx-get="/contacts/{c["id"]}/score-panel"' in page.text
    panel = signed_in.get(f"/contacts/{c['id']}/score-panel")
    assert panel.status_code == 200
    assert 'data-testid="lead-score">12<' in panel.text and "Director" in panel.text
    assert signed_in.get("/contacts/00000000-0000-0000-0000-000000000000/score-panel"
                         ).status_code == 404


def test_rules_screen_adds_and_deletes(signed_in: TestClient, database: Database) -> None:
    page = signed_in.get("/settings/scoring")
    assert page.status_code == 200 and "No rules yet." in page.text
    token = page_csrf(signed_in, "/settings/scoring")
    form = {"csrf_token": token, "name": "Pricing", "kind": "behaviour",
            "behaviour": "page_view", "field": "url", "operator": "contains",
            "value": "/pricing", "points": "10", "decay": "half_life", "decay_days": "30"}
    assert signed_in.post("/settings/scoring/rules", data=form).status_code == 303
    bad = signed_in.post("/settings/scoring/rules", data={**form, "decay_days": ""})
    assert bad.status_code == 422 and count(database, ScoringRule) == 1
    page = signed_in.get("/settings/scoring")
    assert "halves every 30 d" in page.text and "/pricing" in page.text
    assert signed_in.post("/settings/scoring/threshold",
                          data={"csrf_token": token, "threshold": "70"}).status_code == 303
    assert 'value="70"' in signed_in.get("/settings/scoring").text
    with database.transaction(write=False) as s:
        rule_id = s.query(ScoringRule.id).scalar()
    r = signed_in.post(f"/settings/scoring/rules/{rule_id}/delete", data={"csrf_token": token})
    assert r.status_code == 303 and "No rules yet." in signed_in.get("/settings/scoring").text


def test_sequences_screen_creates_enrols_and_stops(client: Any, signed_in: TestClient,
                                                   database: Database) -> None:
    assert "No sequences yet." in signed_in.get("/sequences").text
    token = page_csrf(signed_in, "/sequences")
    bad = signed_in.post("/sequences", data={"csrf_token": token, "name": "Bad",
                                             "kind": ["wait"], "wait_hours": [""]})
    assert bad.status_code == 422 and count(database, Sequence) == 0
    r = signed_in.post("/sequences", data={
        "csrf_token": token, "name": "Nurture", "kind": ["task", "wait", ""],
        "template_id": ["", "", ""], "task_title": ["Say hello", "", ""],
        "wait_hours": ["", "48", ""]})
    assert r.status_code == 303, r.text
    page = signed_in.get("/sequences")
    assert "Create task “Say hello”" in page.text and "Wait 48 h" in page.text
    c = make_contact(client, first_name="Enid")
    with database.transaction(write=False) as s:
        seq_id = s.query(Sequence.id).scalar()
    r = signed_in.post(f"/sequences/{seq_id}/enrol",
                       data={"csrf_token": token, "contact_id": c["id"]})
    assert r.status_code == 303
    assert "Enid" in signed_in.get("/sequences").text
    with database.transaction(write=False) as s:
        enr_id = s.query(SequenceEnrolment.id).scalar()
    r = signed_in.post(f"/sequences/enrolments/{enr_id}/stop", data={"csrf_token": token})
    assert r.status_code == 303 and "stopped (manual)" in signed_in.get("/sequences").text
