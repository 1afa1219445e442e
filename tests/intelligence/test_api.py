"""The intelligence API reads what the jobs stored: models with diagnostics, a contact's
predictions and best time, the at-risk list; a refit is queued and done by the workers."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from amity.config import Settings
from amity.core.db import Database
from amity.intelligence import service
from amity.intelligence.models import CustomerPrediction, ModelFit
from amity.jobs.worker import run_until_idle
from tests.conftest import make_user
from tests.factories import make_contact
from tests.intelligence.conftest import AT, seed_business


def test_models_predictions_and_at_risk(client: Any, database: Database) -> None:
    biz = seed_business(database)
    with database.transaction() as s:
        service.refresh(s, currency="USD", base=None, at=AT)
    r = client.get("/api/v1/intelligence/models")
    assert r.status_code == 200, r.text
    kinds = {m["kind"]: m for m in r.json()}
    assert kinds["clv"]["status"] == "fitted" and kinds["clv"]["label"] == "clv-1"
    assert kinds["churn"]["diagnostics"]["holdout"]["roc_auc"] is not None
    page = client.get("/api/v1/intelligence/at-risk", params={"limit": 5}).json()
    risks = [i["churn_risk"] for i in page["items"]]
    assert risks and risks == sorted(risks, reverse=True) and all(r >= 0.5 for r in risks)
    assert all(i["churn_reasons"] for i in page["items"])
    if page["next_cursor"]:
        more = client.get("/api/v1/intelligence/at-risk",
                          params={"limit": 5, "cursor": page["next_cursor"]}).json()
        assert not {i["contact_id"] for i in more["items"]} & {i["contact_id"]
                                                               for i in page["items"]}
    one = client.get(f"/api/v1/contacts/{biz.contacts[0]}/predictions").json()
    assert one["computed"] is True and one["clv_model"] == "clv-1"
    assert one["purchases_3m"] <= one["purchases_12m"]
    bad = client.get("/api/v1/intelligence/at-risk", params={"cursor": "nonsense"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(
        "application/problem+json")


def test_a_contact_never_scored_says_so(client: Any) -> None:
    c = make_contact(client, first_name="New")
    r = client.get(f"/api/v1/contacts/{c['id']}/predictions")
    assert r.status_code == 200 and r.json()["computed"] is False
    assert r.json()["best_time"] is None  # nobody has responded to anything yet


def test_refresh_is_queued_and_run_by_the_workers(client: Any, database: Database,
                                                  settings: Settings) -> None:
    r = client.post("/api/v1/intelligence/refresh", json={"threshold": 0.7})
    assert r.status_code == 202 and r.json() == {"status": "queued"}
    bad = client.post("/api/v1/intelligence/refresh", json={"threshold": 3})
    assert bad.status_code == 422
    run_until_idle(database, settings)
    with database.transaction(write=False) as s:
        fits = list(s.scalars(select(ModelFit)))
    assert {f.kind for f in fits} == {"clv", "churn"}  # empty business: insufficient, recorded
    assert all(f.status == "insufficient" for f in fits)


def test_permissions(app: Any, client: Any, database: Database) -> None:
    from fastapi.testclient import TestClient

    c = make_contact(client, first_name="Private")
    with database.transaction() as s:
        s.add(CustomerPrediction(contact_id=uuid.UUID(c["id"]), churn_risk=0.9, at_risk=True,
                                 churn_reasons=["bought recently"], churn_model="rules"))
    assert [i["contact_id"] for i in client.get("/api/v1/intelligence/at-risk").json()[
        "items"]] == [c["id"]]
    _, token = make_user(database)  # the default role: own records only, no settings
    with TestClient(app) as other:
        other.headers["Authorization"] = f"Bearer {token}"
        assert other.get("/api/v1/intelligence/models").status_code == 403
        assert other.post("/api/v1/intelligence/refresh").status_code == 403
        assert other.get(f"/api/v1/contacts/{c['id']}/predictions").status_code in (403, 404)
        r = other.get("/api/v1/intelligence/at-risk")
        visible = {x["id"] for x in other.get("/api/v1/contacts").json()["items"]} \
            if r.status_code == 200 else set()
        assert r.status_code == 403 or {i["contact_id"] for i in r.json()["items"]} <= visible
        assert c["id"] not in visible or r.status_code == 403
