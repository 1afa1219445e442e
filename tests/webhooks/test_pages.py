"""Settings > Webhooks pages: health and the delivery log for administrators, 403 otherwise;
the test ping and redelivery buttons."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.core.db import Database
from amity.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.conftest import make_user
from tests.jobs.conftest import Clock
from tests.web.conftest import page_csrf, sign_in
from tests.webhooks.conftest import Receiver


def _make(database: Database, url: str, **kw: Any) -> WebhookSubscription:
    with database.transaction() as s:
        values: dict[str, Any] = {"enabled": True, **kw}
        sub = WebhookSubscription(id=uuid.uuid4(), url=url, description="Billing",
                                  event_types=["deal.*"], secret="whsec_page",
                                  consecutive_failures=0, next_seq=0, **values)
        s.add(sub)
        s.flush()
        s.expunge(sub)
        return sub


def test_admins_see_health_and_the_delivery_log(web: TestClient, database: Database,
                                                receiver: Receiver, clock: Clock) -> None:
    admin, _ = make_user(database, admin=True, email="wh-admin@example.com")
    assert sign_in(web, admin.email).status_code == 303
    receiver.secret = "whsec_page"
    ok = _make(database, receiver.url)
    _make(database, "https://down.example.com/hook", enabled=False,
          disabled_reason="Disabled after 10 failed deliveries in a row")
    page = web.get("/settings/webhooks")
    assert page.status_code == 200
    assert receiver.url in page.text and "Healthy" in page.text
    assert "Disabled after 10 failed deliveries" in page.text
    assert 'href="/settings/webhooks"' in web.get("/settings/users").text  # the tab
    token = page_csrf(web, f"/settings/webhooks/{ok.id}")
    r = web.post(f"/settings/webhooks/{ok.id}/test", data={"csrf_token": token})
    assert r.status_code == 303
    assert receiver.got and receiver.got[0].signed
    detail = web.get(f"/settings/webhooks/{ok.id}")
    assert "webhook.ping" in detail.text and "Delivered" in detail.text
    assert web.post(f"/settings/webhooks/{ok.id}/test", data={}).status_code == 403  # CSRF
    with database.transaction(write=False) as s:
        assert len(list(s.scalars(select(WebhookDelivery)))) == 1


def test_other_users_are_refused(web: TestClient, database: Database) -> None:
    user, _ = make_user(database, email="plain@example.com")
    assert sign_in(web, user.email).status_code == 303
    assert web.get("/settings/webhooks").status_code == 403
    assert 'href="/settings/webhooks"' not in web.get("/contacts").text
