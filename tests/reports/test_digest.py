"""The saved-report email digest, sent by the real job runtime to a real SMTP server
(aiosmtpd on loopback), on both databases."""

from __future__ import annotations

from typing import Any

from amity.config import Settings
from amity.core.db import Database
from amity.jobs import queue
from amity.jobs.reports import DIGEST
from amity.jobs.worker import run_until_idle
from tests.analytics.dataset import build
from tests.reports.conftest import Clock, Inbox, smtp_settings
from tests.reports.test_reports_api import usd_orders_by_month


def html_of(message: Any) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/html")
    return str(part.get_payload(decode=True).decode())


def text_of(message: Any) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return str(part.get_payload(decode=True).decode())


def test_daily_and_weekly_digests(client: Any, database: Database, settings: Settings,
                                  inbox: Inbox, clock: Clock) -> None:
    build(database)
    assert clock.at.weekday() == 0  # the clock starts on a Monday
    ids = {}
    for name, digest in (("Daily <orders>", "daily"), ("Weekly orders", "weekly"),
                         ("No mail", "none")):
        r = client.post("/api/v1/reports", json={"name": name, "digest": digest,
                                                 "definition": usd_orders_by_month()})
        assert r.status_code == 201, r.text
        ids[digest] = r.json()["id"]
    mail = smtp_settings(settings, inbox)
    for _ in range(2):  # twice the same day: each digest once
        with database.transaction() as s:
            queue.enqueue(s, DIGEST, {})
        run_until_idle(database, mail)
    assert sorted(m["Subject"] for m in inbox.messages) == [
        "Daily report: Daily <orders>", "Weekly report: Weekly orders"]
    daily = next(m for m in inbox.messages if m["Subject"].startswith("Daily"))
    assert daily["To"] == "admin@example.com"
    html = html_of(daily)
    assert "<h1>Daily &lt;orders&gt;</h1>" in html
    # the admin's time zone is UTC: December holds A 100 and B 200; January 4 orders
    assert ("<tr><td>2025-12-01</td><td align=right>2</td><td align=right>300.00</td>"
            "<td align=right>100.00</td><td align=right>200.00</td></tr>") in html
    assert "<td align=right>1,119.00</td>" in html
    assert f"https://crm.example.com/reports/{ids['daily']}" in html
    assert "2026-01-01 | 4 | 1,119.00 | 10.00 | 999.00" in text_of(daily)
    clock.advance(days=1)  # Tuesday: the daily one only
    with database.transaction() as s:
        queue.enqueue(s, DIGEST, {})
    run_until_idle(database, mail)
    assert [m["Subject"] for m in inbox.messages[2:]] == ["Daily report: Daily <orders>"]
