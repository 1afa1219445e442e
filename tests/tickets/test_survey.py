"""Satisfaction surveys: the link in the resolve event, the public page and JSON, one answer
per link, tampered and expired links refused, the contact's average."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from amity.core.db import Database
from tests.factories import assert_problem, make_contact
from tests.tickets.conftest import BASE_URL
from tests.tickets.support import Clock, events, make_ticket, patch_ticket


def _resolve(client: TestClient, database: Database, **fields: Any) -> tuple[dict[str, Any],
                                                                            str]:
    t = make_ticket(client, **fields)
    patch_ticket(client, t["id"], status="resolved", resolution_notes="Replaced the part")
    resolved = [e for e in events(database, "ticket.resolved") if e["ticket_id"] == t["id"]]
    url = resolved[-1]["survey_url"]
    assert url.startswith(f"{BASE_URL}/survey/")
    return t, url.removeprefix(BASE_URL)


def test_answer_once_by_json(client: TestClient, anon: TestClient, database: Database) -> None:
    contact = make_contact(client)
    t, path = _resolve(client, database, contact_id=contact["id"])
    state = anon.get(f"{path}/answer")
    assert state.status_code == 200, state.text
    assert state.json()["reference"] == t["reference"] and state.json()["score"] is None
    r = anon.post(f"{path}/answer", json={"score": 4, "comment": "Quick and kind"})
    assert r.status_code == 200, r.text
    assert r.json()["score"] == 4 and r.json()["answered_at"]
    ticket = client.get(f"/api/v1/tickets/{t['id']}").json()
    assert ticket["satisfaction_score"] == 4
    assert ticket["satisfaction_comment"] == "Quick and kind"
    assert_problem(anon.post(f"{path}/answer", json={"score": 1}), 409, code="survey.answered")
    assert_problem(anon.get(f"{path}/answer"), 409)
    assert events(database, "ticket.satisfaction_received") == [
        {"ticket_id": t["id"], "score": 4, "contact_id": contact["id"]}]
    assert client.get(f"/api/v1/tickets/{t['id']}").json()["satisfaction_score"] == 4


def test_tampered_links_and_bad_scores_are_refused(client: TestClient, anon: TestClient,
                                                   database: Database) -> None:
    contact = make_contact(client)
    _, path = _resolve(client, database, contact_id=contact["id"])
    token = path.removeprefix("/survey/")
    head, sig = token.split(".")
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    other = ("A" if head[0] != "A" else "B") + head[1:]  # another survey's id
    for bad in (f"{head}.{flipped}", f"{other}.{sig}", "nonsense", f"{head}.", ".x"):
        assert_problem(anon.post(f"/survey/{bad}/answer", json={"score": 5}), 404,
                       code="survey.not_found")
    for score in (0, 6, "five", None):
        assert_problem(anon.post(f"{path}/answer", json={"score": score}), 422, "score")
    assert anon.get(f"{path}/answer").json()["score"] is None  # still open


def test_links_expire_and_a_new_resolution_replaces_the_old_link(
        client: TestClient, anon: TestClient, database: Database, clock: Clock) -> None:
    contact = make_contact(client)
    t, path = _resolve(client, database, contact_id=contact["id"])
    clock.advance(days=14, seconds=1)  # valid for 14 days
    assert_problem(anon.post(f"{path}/answer", json={"score": 5}), 410, code="survey.expired")
    patch_ticket(client, t["id"], status="open")
    clock.advance(minutes=1)  # events are listed by time
    patch_ticket(client, t["id"], status="resolved")
    newer = events(database, "ticket.resolved")[-1]["survey_url"].removeprefix(BASE_URL)
    assert newer != path
    patch_ticket(client, t["id"], status="open")
    clock.advance(minutes=1)
    patch_ticket(client, t["id"], status="resolved")
    newest = events(database, "ticket.resolved")[-1]["survey_url"].removeprefix(BASE_URL)
    assert_problem(anon.get(f"{newer}/answer"), 410)
    assert anon.post(f"{newest}/answer", json={"score": 2}).status_code == 200


def test_no_contact_no_survey(client: TestClient, database: Database) -> None:
    t = make_ticket(client)
    patch_ticket(client, t["id"], status="resolved")
    assert events(database, "ticket.resolved") == [
        {"ticket_id": t["id"], "survey_id": None, "survey_url": None, "contact_id": None}]


def test_the_contacts_average_satisfaction(client: TestClient, anon: TestClient,
                                           database: Database) -> None:
    contact = make_contact(client)
    for score in (5, 2, 4):
        _, path = _resolve(client, database, contact_id=contact["id"])
        assert anon.post(f"{path}/answer", json={"score": score}).status_code == 200
    summary = client.get(f"/api/v1/contacts/{contact['id']}/service-summary").json()
    # (5 + 2 + 4) / 3 = 3.666... -> 3.67
    assert summary["satisfaction_average"] == "3.67"
    assert summary["satisfaction_responses"] == 3


def test_the_public_page(client: TestClient, anon: TestClient, database: Database) -> None:
    contact = make_contact(client)
    t, path = _resolve(client, database, contact_id=contact["id"])
    page = anon.get(path)
    assert page.status_code == 200 and t["reference"] in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    bad = anon.post(path, data={"csrf_token": csrf.group(1), "score": "9"})
    assert bad.status_code == 422 and "1 to 5" in bad.text
    no_csrf = anon.post(path, data={"score": "5"})
    assert no_csrf.status_code == 403
    ok = anon.post(path, data={"csrf_token": csrf.group(1), "score": "5", "comment": "Great"})
    assert ok.status_code == 200 and 'id="survey-thanks"' in ok.text
    again = anon.get(path)
    assert again.status_code == 409 and "already answered" in again.text
    assert anon.get("/survey/forged.token").status_code == 404
    assert client.get(f"/api/v1/tickets/{t['id']}").json()["satisfaction_score"] == 5
