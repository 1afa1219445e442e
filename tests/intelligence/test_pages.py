"""Settings > Predictions (fits, hold-out checks, the message when history is thin, a refit
queued from a form) and the predictions panel on the contact page."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.core.db import Database
from amity.intelligence import service
from amity.jobs.models import Job
from tests.factories import make_contact
from tests.intelligence.conftest import AT, seed_business
from tests.web.conftest import page_csrf, signed_in, web, web_user

__all__ = ["signed_in", "web", "web_user"]


def test_settings_page_shows_fits_and_queues_a_refit(signed_in: TestClient,
                                                     database: Database) -> None:
    empty = signed_in.get("/settings/predictions")
    assert empty.status_code == 200 and empty.text.count("Not fitted yet.") == 2
    seed_business(database)
    with database.transaction() as s:
        service.refresh(s, currency="USD", base=None, at=AT)
    page = signed_in.get("/settings/predictions")
    assert page.status_code == 200
    assert "clv-1 · fitted" in page.text and 'data-testid="clv-calibration"' in page.text
    assert "ROC AUC 0." in page.text and "churn-1 · fitted" in page.text
    token = page_csrf(signed_in, "/settings/predictions")
    r = signed_in.post("/settings/predictions/refresh", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].endswith("queued=1")
    with database.transaction(write=False) as s:
        assert s.scalar(select(Job).where(Job.kind == "intelligence.refresh")) is not None
    assert signed_in.post("/settings/predictions/refresh", data={}).status_code in (400, 403)


def test_thin_history_message_and_contact_panel(client: Any, signed_in: TestClient,
                                                database: Database) -> None:
    biz = seed_business(database, customers=8, days=120)
    with database.transaction() as s:
        service.refresh(s, currency="USD", base=None, at=AT)
    page = signed_in.get("/settings/predictions")
    assert 'data-testid="clv-message">Lifetime value needs at least 20 customers' in page.text
    assert "Too little history to learn churn from" in page.text
    c = biz.contacts[0]
    detail = signed_in.get(f"/contacts/{c}")
    assert f'hx-get="/contacts/{c}/predictions-panel"' in detail.text
    panel = signed_in.get(f"/contacts/{c}/predictions-panel")
    assert panel.status_code == 200 and "Predictions" in panel.text
    assert "estimated by rules" in panel.text or "lapsed" in panel.text
    fresh = make_contact(client, first_name="Nobody")
    none = signed_in.get(f"/contacts/{fresh['id']}/predictions-panel")
    assert 'data-testid="predictions-none"' in none.text
    assert signed_in.get("/contacts/00000000-0000-0000-0000-000000000000/predictions-panel"
                         ).status_code == 404
