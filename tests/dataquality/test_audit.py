"""The data-quality audit on a hand-built set of contacts, with exact expected figures on both
databases: completeness per field, reachability, staleness, invalid values (rows written
around validation, as old imports left them), duplicate backlog, unused custom fields, scores
per record, segments, stewards and their weekly digest through a real SMTP server."""

from __future__ import annotations

import uuid
from typing import Any

from amity.config import Settings
from amity.core.db import Database
from amity.jobs import queue
from amity.jobs.dataquality import DIGEST
from amity.jobs.worker import run_until_idle
from tests.dataquality.conftest import Clock, Inbox, smtp_settings
from tests.factories import assert_problem


def test_report_has_exact_figures(client: Any, people: dict[str, str]) -> None:
    r = client.get("/api/v1/data-quality/contacts")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 4 and body["stale_days"] == 180
    assert {f["field"]: (f["missing"], f["completeness"]) for f in body["fields"]} == {
        "email": (1, 0.75), "phone": (2, 0.5), "owner": (1, 0.75), "company": (3, 0.25),
        "job_title": (2, 0.5), "last_name": (1, 0.75), "birthday": (3, 0.25)}
    assert body["without_email_or_phone"] == 1 and body["stale"] == 1
    assert body["invalid"] == {"email": 1, "phone": 1, "birthday": 1}
    assert body["average_score"] == 60.5 and body["below_50"] == 1  # (100+57+14+71) / 4
    assert body["duplicates_open"] == 1
    assert body["unused_custom_fields"] == ["nickname2"]
    # a longer stale window: C is no longer stale (score 28), the average moves
    longer = client.get("/api/v1/data-quality/contacts", params={"stale_days": 365}).json()
    assert longer["stale"] == 0 and longer["average_score"] == 64.0  # (100+57+28+71) / 4
    seg = client.get("/api/v1/data-quality/contacts", params={"segment_tag": "Vip"}).json()
    assert seg["total"] == 2 and seg["average_score"] == 57.0  # A and C


def test_scores_per_record_and_worst_first(client: Any, people: dict[str, str]) -> None:
    worst = client.get("/api/v1/data-quality/contacts/worst").json()
    assert [(w["id"], w["score"]) for w in worst] == [
        (people["c"], 14), (people["b"], 57), (people["d"], 71), (people["a"], 100)]
    d = client.get(f"/api/v1/contacts/{people['d']}/quality").json()
    assert d == {"contact_id": people["d"], "score": 71, "failed": ["company", "valid"]}
    c = client.get(f"/api/v1/contacts/{people['c']}/quality").json()
    assert c["score"] == 14 and c["failed"] == ["email", "phone", "owner", "company",
                                                "job_title", "fresh"]
    assert client.get(f"/api/v1/contacts/{people['a']}/quality").json()["failed"] == []
    missing = client.get(f"/api/v1/contacts/{uuid.uuid4()}/quality")
    assert_problem(missing, 404)
    assert_problem(client.get("/api/v1/data-quality/contacts", params={"stale_days": 0}), 422)


def test_stewards_get_a_weekly_digest_once(client: Any, database: Database,
                                           settings: Settings, people: dict[str, str],
                                           admin_user: Any, inbox: Inbox,
                                           clock: Clock) -> None:
    uid = str(admin_user[0].id)
    r = client.post("/api/v1/data-quality/stewards", json={"user_id": uid})
    assert r.status_code == 201, r.text
    vip = client.post("/api/v1/data-quality/stewards",
                      json={"user_id": uid, "segment_tag": "vip"})
    assert vip.status_code == 201
    assert_problem(client.post("/api/v1/data-quality/stewards", json={"user_id": uid}), 409)
    assert_problem(client.post("/api/v1/data-quality/stewards",
                               json={"user_id": str(uuid.uuid4())}), 422)
    assert_problem(client.post("/api/v1/data-quality/stewards",
                               json={"user_id": uid, "entity": "deal"}), 422)
    assert len(client.get("/api/v1/data-quality/stewards").json()) == 2
    mail = smtp_settings(settings, inbox)
    for _ in range(2):  # the same week twice: one digest per steward
        with database.transaction() as s:
            queue.enqueue(s, DIGEST, {})
        run_until_idle(database, mail)
    assert sorted(m["Subject"] for m in inbox.messages) == [
        "Weekly data-quality digest: contacts",
        "Weekly data-quality digest: contacts tagged vip"]
    everyone = next(m for m in inbox.messages if m["Subject"].endswith("contacts"))
    text = everyone.get_payload(decode=True).decode()
    assert "4 records, average score 60.5 / 100, 1 below 50." in text
    assert "  company: 25% (3 missing)" in text and "Open duplicate suggestions: 1" in text
    assert "Unused custom fields: nickname2" in text
    assert "https://crm.example.com/data-quality" in text
    assert client.delete(f"/api/v1/data-quality/stewards/{vip.json()['id']}").status_code == 204
    assert_problem(client.delete(f"/api/v1/data-quality/stewards/{vip.json()['id']}"), 404)
