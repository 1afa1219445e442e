"""The hot-lead scenario, end to end with real workers and a controlled clock: a prospect
opens every email of the month (the open pixel), views the pricing page three times in a
week and downloads a case study (POST /api/v1/events with the site's key, the visitor linked
to the contact); the owner gets one notification, one email at a real SMTP server and one
call task, within a minute of the last event, and no second alert when more events follow."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from amity.config import Settings
from amity.core.db import Database
from amity.jobs.worker import Worker
from tests.activities.test_email import html_of, person
from tests.activities.test_webevents import ev, post, site
from tests.conftest import make_user
from tests.scoring.conftest import Clock, Inbox, alerts, rule, score_of, smtp_settings

BASE = "https://crm.example.com"


def wait_for(check: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the workers")


def test_hot_lead_alert_once_with_workers(app: Any, client: Any, database: Database,
                                          settings: Settings, inbox: Inbox,
                                          clock: Clock) -> None:
    cfg = smtp_settings(settings, inbox).model_copy(update={
        "smtp_from": "Amity <crm@example.com>", "jobs_poll_interval_s": 0.05,
        "jobs_dispatch_interval_s": 0.05})
    app.state.settings = cfg
    rule(client, name="Pricing page", behaviour="page_view", field="url",
         operator="contains", value="/pricing", points=10)
    rule(client, name="Case study", behaviour="download", field="url", operator="contains",
         value="case-study", points=15)
    rule(client, name="Email opened", behaviour="email_open", points=5)
    owner, _ = make_user(database, email="owner@example.com")
    c = person(client, first_name="Paula", owner_id=str(owner.id))
    key = site(client)["public_key"]
    worker = Worker(database, cfg, concurrency=2)
    worker.start()
    try:
        with TestClient(app, follow_redirects=False) as web:
            for n in range(3):  # an email a week, each opened
                r = client.post(f"/api/v1/contacts/{c['id']}/emails",
                                json={"subject": f"News {n}", "body": "Read on"})
                assert r.status_code == 202, r.text
                wait_for(lambda n=n: len(inbox.messages) == n + 1)
                pixel = re.search(r'src="([^"]+)"', html_of(inbox.messages[-1]))
                assert pixel and pixel.group(1).startswith(BASE)
                assert web.get(pixel.group(1)[len(BASE):].replace("&amp;", "&")
                               ).status_code == 200
                clock.advance(days=7)
            visitor = f"v-{uuid.uuid4().hex[:10]}"
            email = c["emails"][0]["email"]
            assert post(web, key, ev(visitor, type="form_submit", email=email,
                                     url="https://shop.example.com/contact")
                        ).json()["linked"] == 1
            for _ in range(3):  # the pricing page three times in a week
                clock.advance(days=1)
                post(web, key, ev(visitor, url="https://shop.example.com/pricing"))
            post(web, key, ev(visitor, type="download",
                              url="https://shop.example.com/files/case-study-acme.pdf"))
            last_event = clock.at
            assert alerts(database, c["id"])[0] == []
            clock.advance(seconds=20)  # the clock moves on: the next web scan slot comes
            wait_for(lambda: bool(alerts(database, c["id"])[0]))
            assert clock.at - last_event <= timedelta(minutes=1)
            wait_for(lambda: any(m["To"] == "owner@example.com" for m in inbox.messages))
            notes, tasks = alerts(database, c["id"])
            assert len(notes) == 1 and notes[0].user_id == owner.id
            assert len(tasks) == 1 and tasks[0].assignee_id == owner.id
            assert tasks[0].due_at is not None and tasks[0].due_at.date() == clock.at.date()
            row = score_of(database, c["id"])
            assert row is not None and row.hot and row.score == 60 and row.crossings == 1
            # more events afterwards: the score rises, the alert does not repeat
            post(web, key, ev(visitor, url="https://shop.example.com/pricing?plan=pro"))
            clock.advance(seconds=20)
            wait_for(lambda: score_of(database, c["id"]).score == 70)  # type: ignore[union-attr]
            clock.advance(seconds=40)
            time.sleep(1.5)
    finally:
        worker.stop(timeout=20)
    notes, tasks = alerts(database, c["id"])
    assert len(notes) == 1 and len(tasks) == 1
    alerts_mailed = [m for m in inbox.messages if m["To"] == "owner@example.com"]
    assert len(alerts_mailed) == 1 and "Paula" in alerts_mailed[0]["Subject"]
    view = client.get(f"/api/v1/contacts/{c['id']}/score").json()
    assert view["hot"] is True and view["crossings"] == 1
    assert {p["name"]: p["points"] for p in view["breakdown"]} == {
        "Pricing page": 40, "Case study": 15, "Email opened": 15}
