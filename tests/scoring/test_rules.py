"""Scoring rules through the API: behaviour filters, caps per period, decay (half-life and
expiry) with a controlled clock, profile rules and their history, the threshold crossed once
per crossing, and bad input refused with nothing stored."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from amity.config import Settings
from amity.core.db import Database
from amity.jobs.worker import run_until_idle
from amity.scoring.models import ScoringRule
from tests.activities.conftest import call
from tests.activities.test_webevents import ev, post, site
from tests.factories import assert_problem, count, make_contact
from tests.scoring.conftest import Clock, alerts, entries, rule, score_of, settle

PRICING = "https://shop.example.com/pricing"


def _visitor(client: Any, anon: Any, key: str, contact: dict[str, Any]) -> str:
    """A visitor linked to the contact by a form submit (which scores nothing here)."""
    vid = f"v-{uuid.uuid4().hex[:12]}"
    r = post(anon, key, ev(vid, type="form_submit", email=contact["emails"][0]["email"]))
    assert r.json()["linked"] == 1, r.text
    return vid


def _person(client: Any, **fields: Any) -> dict[str, Any]:
    return make_contact(client, emails=[{"email": f"p-{uuid.uuid4().hex[:8]}@example.com",
                                         "primary": True}], **fields)


def test_filtered_behaviour_with_a_cap_per_period(client: Any, anon: Any, database: Database,
                                                  settings: Settings, clock: Clock) -> None:
    rule(client, behaviour="page_view", field="url", operator="contains", value="/pricing",
         points=10, cap_points=30, cap_period_days=7)
    rule(client, behaviour="download", field="url", operator="contains", value="case-study",
         points=15)
    c = _person(client)
    key = site(client)["public_key"]
    vid = _visitor(client, anon, key, c)
    for _ in range(4):
        post(anon, key, ev(vid, url=PRICING))
    post(anon, key, ev(vid, url="https://shop.example.com/about"))  # no rule matches
    post(anon, key, ev(vid, type="download", url="https://shop.example.com/files/Case-Study.pdf"))
    settle(database, settings)
    row = score_of(database, c["id"])
    assert row is not None and row.score == 30 + 15
    got = [(e.points, e.capped) for e in entries(database, c["id"])]
    assert sorted(got) == [(0, True), (10, False), (10, False), (10, False), (15, False)]
    settle(database, settings)  # evaluating again awards nothing twice
    assert len(entries(database, c["id"])) == 5
    clock.advance(days=8)  # a new period: the cap has room again
    post(anon, key, ev(vid, url=PRICING))
    settle(database, settings)
    assert score_of(database, c["id"]).score == 55  # type: ignore[union-attr]
    view = client.get(f"/api/v1/contacts/{c['id']}/score").json()
    assert view["score"] == 55 and view["threshold"] == 50 and view["hot"] is True
    assert {p["points"] for p in view["breakdown"]} == {40, 15}
    assert len(view["history"]) == 6 and view["history"][0]["points"] == 10


def test_decay_halves_or_expires_with_time(client: Any, database: Database, settings: Settings,
                                           clock: Clock) -> None:
    rule(client, behaviour="call", points=16, decay="half_life", decay_days=10)
    rule(client, behaviour="meeting", points=7, decay="expire", decay_days=3)
    c = _person(client)
    call(client, c["id"])
    call(client, c["id"], channel="meeting", direction="internal")
    run_until_idle(database, settings)
    assert score_of(database, c["id"]).score == 23  # type: ignore[union-attr]
    clock.advance(days=4)
    assert client.get(f"/api/v1/contacts/{c['id']}/score").json()["score"] == 12  # 16/2^0.4
    clock.advance(days=6)
    with database.transaction() as s:  # the hourly decay pass
        from amity.jobs import queue
        queue.enqueue(s, "scoring.decay", {})
    run_until_idle(database, settings)
    row = score_of(database, c["id"])
    assert row is not None and row.score == 8 and row.behaviour_points == 8


def test_profile_rules_follow_the_contact_and_keep_history(client: Any, database: Database,
                                                          settings: Settings) -> None:
    rule(client, kind="profile", field="job_title", operator="contains", value="director",
         points=10)
    rule(client, kind="profile", field="company_size", operator="gt", value="50", points=5)
    company = client.post("/api/v1/companies", json={"name": "Big", "employee_count": 80})
    assert company.status_code == 201, company.text
    c = _person(client, job_title="Sales Director", company_id=company.json()["id"])
    run_until_idle(database, settings)
    assert score_of(database, c["id"]).score == 15  # type: ignore[union-attr]
    r = client.patch(f"/api/v1/contacts/{c['id']}", json={"job_title": "Engineer"},
                     headers={"If-Match": '"v1"'})
    assert r.status_code == 200, r.text
    run_until_idle(database, settings)
    assert score_of(database, c["id"]).score == 5  # type: ignore[union-attr]
    assert sorted(e.points for e in entries(database, c["id"])) == [-10, 5, 10]


def test_threshold_crossed_once_and_again_after_falling(
        client: Any, database: Database, settings: Settings, clock: Clock) -> None:
    client.patch("/api/v1/scoring/settings", json={"threshold": 20})
    rule(client, behaviour="meeting", points=12, decay="expire", decay_days=2)
    c = _person(client)
    for _ in range(3):
        call(client, c["id"], channel="meeting", direction="internal")
        run_until_idle(database, settings)
    notes, tasks = alerts(database, c["id"])
    assert len(notes) == 1 and len(tasks) == 1 and tasks[0].title.startswith("Call ")
    row = score_of(database, c["id"])
    assert row is not None and row.hot and row.crossings == 1 and row.score == 36
    clock.advance(days=3)  # every award expired: the score falls below
    with database.transaction() as s:
        from amity.jobs import queue
        queue.enqueue(s, "scoring.decay", {})
    run_until_idle(database, settings)
    row = score_of(database, c["id"])
    assert row is not None and not row.hot and row.score == 0
    assert len(alerts(database, c["id"])[0]) == 1
    for _ in range(2):
        call(client, c["id"], channel="meeting", direction="internal")
        run_until_idle(database, settings)
    notes, tasks = alerts(database, c["id"])
    assert len(notes) == 2 and len(tasks) == 2
    assert score_of(database, c["id"]).crossings == 2  # type: ignore[union-attr]


@pytest.mark.parametrize("body", [
    {"kind": "profile", "points": 5},  # no field
    {"kind": "behaviour", "behaviour": "page_view", "points": 5, "cap_points": 10},
    {"kind": "behaviour", "behaviour": "teleport", "points": 5},
    {"kind": "behaviour", "behaviour": "page_view", "points": 0},
    {"kind": "behaviour", "behaviour": "page_view", "points": 5, "decay": "half_life"},
    {"kind": "profile", "field": "job_title", "operator": "gt", "value": "x", "points": 5},
    {"kind": "profile", "field": "company_size", "operator": "gt", "value": "many",
     "points": 5},
    {"kind": "behaviour", "behaviour": "page_view", "field": "url", "points": 5},
    {"kind": "behaviour", "behaviour": "page_view", "points": 5, "extra": 1},
])
def test_bad_rules_are_refused_and_nothing_is_stored(client: Any, database: Database,
                                                     body: dict[str, Any]) -> None:
    assert_problem(client.post("/api/v1/scoring/rules", json={"name": "bad", **body}), 422)
    assert count(database, ScoringRule) == 0


def test_rule_update_delete_and_unknown_ids(client: Any, database: Database) -> None:
    r = rule(client, behaviour="page_view", points=3)
    assert_problem(client.patch(f"/api/v1/scoring/rules/{r['id']}",
                                json={"cap_points": 5}), 422)  # a cap needs its period
    ok = client.patch(f"/api/v1/scoring/rules/{r['id']}", json={"points": 4},
                      headers={"If-Match": '"v1"'})
    assert ok.status_code == 200 and ok.json()["points"] == 4
    assert_problem(client.patch(f"/api/v1/scoring/rules/{r['id']}", json={"points": 6},
                                headers={"If-Match": '"v1"'}), 412)
    assert client.delete(f"/api/v1/scoring/rules/{r['id']}").status_code == 204
    assert_problem(client.get(f"/api/v1/scoring/rules/{r['id']}"), 404)
    assert_problem(client.get(f"/api/v1/contacts/{uuid.uuid4()}/score"), 404)
    assert_problem(client.patch("/api/v1/scoring/settings", json={"threshold": 0}), 422)
    assert_problem(client.patch("/api/v1/scoring/settings",
                                json={"fallback_user_id": str(uuid.uuid4())}), 422)
    assert client.get("/api/v1/scoring/settings").json()["threshold"] == 50
