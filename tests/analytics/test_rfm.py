"""RFM scores and segments on dataset.py, by hand, on both databases.

As of 2026-02-01 05:00Z (USD, counted orders before then):
| customer | last order | orders | total | R rank | F rank | M rank |
|---|---|---|---|---|---|---|
| B | Dec 15 12:00 | 1 | 200.00 | 1 | 1 | 4 |
| C | Jan 15 12:00 | 2 | 100.00 | 2 | 2 (tie) | 2 |
| A | Jan 20 12:00 | 2 | 150.00 | 3 | 2 (tie) | 3 |
| D | Feb 1 03:00 | 2 | 35.00 | 4 | 2 (tie) | 1 |
score = 1 + 5 x (rank - 1) // 4: R B1 C2 A3 D4; F B1, A C D 2; M D1 C2 A3 B4.
Segments: B (1, 1) and C (2, 2) hibernating; A (3, 2) about_to_sleep; D (4, 2)
potential_loyalists. Recency days (floor): B 47, C 16, A 11, D 0.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.analytics import rfm
from amity.analytics.models import CustomerRfm
from amity.config import Settings
from amity.core.db import Database
from amity.jobs.models import Job
from amity.jobs.worker import run_until_idle
from tests.analytics.dataset import build, t


def scores(database: Database) -> dict[str, tuple[Any, ...]]:
    with database.transaction(write=False) as s:
        from amity.contacts.models import Contact
        return {name: (r.r_score, r.f_score, r.m_score, r.segment, r.recency_days,
                       r.frequency, str(r.monetary))
                for r, name in s.execute(select(CustomerRfm, Contact.first_name)
                                         .join(Contact, Contact.id == CustomerRfm.contact_id))}


def test_rfm_scores_and_segments(client: TestClient, database: Database) -> None:
    build(database)
    with database.transaction() as s:
        assert rfm.refresh(s, at=t("2026-02-01 05:00"), currency="USD") == 4
    assert scores(database) == {
        "B": (1, 1, 4, "hibernating", 47, 1, "200.00"),
        "C": (2, 2, 2, "hibernating", 16, 2, "100.00"),
        "A": (3, 2, 3, "about_to_sleep", 11, 2, "150.00"),
        "D": (4, 2, 1, "potential_loyalists", 0, 2, "35.00"),
    }
    r = client.get("/api/v1/analytics/rfm")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["customers"] == 4 and body["currency"] == "USD"
    seg = {x["segment"]: (x["customers"], x["share"], x["monetary"], x["avg_recency_days"],
                          x["avg_frequency"]) for x in body["segments"] if x["customers"]}
    assert seg == {"hibernating": (2, "0.5000", "300.00", "31.50", "1.50"),
                   "about_to_sleep": (1, "0.2500", "150.00", "11.00", "2.00"),
                   "potential_loyalists": (1, "0.2500", "35.00", "0.00", "2.00")}
    assert len(body["segments"]) == 10  # every named segment, empty ones too


def test_refresh_through_the_job_replaces_the_table(client: TestClient, database: Database,
                                                     settings: Settings) -> None:
    build(database)
    r = client.post("/api/v1/analytics/rfm/refresh", params={"currency": "USD"})
    assert r.status_code == 202, r.text
    again = client.post("/api/v1/analytics/rfm/refresh", params={"currency": "USD"})
    assert again.json()["id"] == r.json()["id"]  # the queued refresh is reused
    run_until_idle(database, settings)
    with database.transaction(write=False) as s:
        job = s.get(Job, uuid.UUID(r.json()["id"]))
        assert job is not None and job.status == "done", job and job.last_error
    assert {v[3] for v in scores(database).values()} >= {"hibernating"}
    assert len(scores(database)) == 4


def test_a_rep_cannot_refresh_everyones_scores(app: Any, database: Database) -> None:
    from tests.deals.deal_support import user_client
    rep, _ = user_client(app, database, "sales_rep")
    with rep:
        assert rep.post("/api/v1/analytics/rfm/refresh").status_code == 403
        assert rep.get("/api/v1/analytics/rfm").json()["customers"] == 0


def test_automation_condition_on_the_rfm_segment(database: Database) -> None:
    """Workflow conditions can select contacts by segment (B and C are hibernating)."""
    from amity.automation.conditions import group_sql
    from amity.automation.definition import ConditionGroup
    from amity.contacts.models import Contact
    build(database)
    with database.transaction() as s:
        rfm.refresh(s, at=t("2026-02-01 05:00"), currency="USD")

    def matching(rule: dict[str, Any]) -> set[str]:
        group = ConditionGroup.model_validate({"rules": [rule]})
        with database.transaction(write=False) as s:
            return set(s.scalars(select(Contact.first_name).where(group_sql(group))))

    assert matching({"type": "rfm_segment", "segments": ["hibernating"]}) == {"B", "C"}
    assert matching({"type": "rfm_segment", "segments": ["hibernating", "about_to_sleep"],
                     "op": "not_in"}) == {"D", "E"}  # E has no USD order: no segment
    import pydantic
    import pytest
    with pytest.raises(pydantic.ValidationError):
        ConditionGroup.model_validate({"rules": [{"type": "rfm_segment",
                                                  "segments": ["vip"]}]})
