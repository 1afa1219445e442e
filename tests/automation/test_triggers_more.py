"""Triggers beyond the events outbox: tracked web activity ("pricing page viewed 3 times in
7 days"), emails opened, and stalled deals, each starting a workflow once per occasion."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from amity.activities.models import Task
from amity.activities.outreach_models import WebEvent
from amity.config import Settings
from amity.core.db import Database
from amity.jobs.automation import SCAN_WEB
from tests.automation.conftest import DATES, Clock, flow, runs, scan
from tests.deals.deal_support import make_deal, stages
from tests.factories import make_contact


def view(database: Database, clock: Clock, contact_id: Any, url: str,
         kind: str = "page_view") -> None:
    with database.transaction() as s:
        s.add(WebEvent(type=kind, contact_id=uuid.UUID(str(contact_id)) if contact_id
                       else None, url=url, occurred_at=clock.at, received_at=clock.at))


def tasks(database: Database) -> list[tuple[str, str | None]]:
    with database.transaction(write=False) as s:
        return [(t.title, str(t.contact_id) if t.contact_id else None)
                for t in s.scalars(select(Task).order_by(Task.created_at, Task.title))]


def test_pricing_page_viewed_three_times_in_a_week(client: Any, database: Database,
                                                   settings: Settings, clock: Clock) -> None:
    w = flow(client, {"type": "web", "kind": "page_view", "url_contains": "/pricing"},
             [{"type": "add_tag", "tag": "pricing-hot"},
              {"type": "create_task", "title": "Call about pricing"}],
             conditions={"match": "all", "rules": [
                 {"type": "event_count", "source": "web", "kind": "page_view",
                  "path_contains": "/pricing", "within_days": 7, "op": "gte", "count": 3},
                 {"type": "tag", "op": "lacks", "tag": "pricing-hot"}]})
    hot = make_contact(client, first_name="Hot")
    scan(database, settings, SCAN_WEB)  # the cursor starts here
    view(database, clock, hot["id"], "https://shop.example/pricing")
    clock.advance(days=2)
    view(database, clock, hot["id"], "https://shop.example/PRICING?plan=pro")
    view(database, clock, hot["id"], "https://shop.example/blog")  # not a pricing page
    view(database, clock, None, "https://shop.example/pricing")  # anonymous visitor
    clock.advance(seconds=5)
    scan(database, settings, SCAN_WEB)
    assert tasks(database) == []
    assert sorted(r.status for r in runs(database, w["id"])) == ["skipped", "skipped"]
    clock.advance(days=3)
    view(database, clock, hot["id"], "https://shop.example/pricing#faq")  # third in 5 days
    clock.advance(seconds=5)
    scan(database, settings, SCAN_WEB)
    scan(database, settings, SCAN_WEB)  # again: each page view starts the workflow once
    assert tasks(database) == [("Call about pricing", hot["id"])]
    clock.advance(hours=1)
    view(database, clock, hot["id"], "https://shop.example/pricing")  # tagged already
    clock.advance(seconds=5)
    scan(database, settings, SCAN_WEB)
    assert tasks(database) == [("Call about pricing", hot["id"])]
    assert sorted(r.status for r in runs(database, w["id"])) == ["done", "skipped", "skipped",
                                                                "skipped"]


def test_email_opened_starts_a_workflow_and_past_activity_is_not_replayed(
        client: Any, database: Database, settings: Settings, clock: Clock) -> None:
    c = make_contact(client, first_name="Reader")
    view(database, clock, c["id"], "https://shop.example/", kind="email_open")  # before
    clock.advance(minutes=5)
    w = flow(client, {"type": "web", "kind": "email_open"},
             [{"type": "create_task", "title": "They read it"}])
    scan(database, settings, SCAN_WEB)
    assert tasks(database) == []
    view(database, clock, c["id"], "https://shop.example/", kind="email_open")
    view(database, clock, c["id"], "https://shop.example/", kind="email_click")
    clock.advance(seconds=5)
    scan(database, settings, SCAN_WEB)
    assert tasks(database) == [("They read it", c["id"])]
    assert len(runs(database, w["id"])) == 1


def test_deal_stalled_notifies_once_per_stall(client: Any, database: Database,
                                             settings: Settings, clock: Clock) -> None:
    w = flow(client, {"type": "deal_stalled"},
             [{"type": "create_task", "title": "Revive the deal"}])
    c = make_contact(client, first_name="Slow")
    st = stages(client)  # Proposal stalls after 10 days
    deal = make_deal(client, stage_id=st["Proposal"], contact_id=c["id"])
    clock.advance(days=10)
    scan(database, settings, DATES)
    assert tasks(database) == []
    clock.advance(hours=1)
    scan(database, settings, DATES)
    clock.advance(hours=1)
    scan(database, settings, DATES)  # still stalled: not again (and the task unstalls it)
    assert tasks(database) == [("Revive the deal", c["id"])]
    [run] = runs(database, w["id"])
    assert run.record_type == "deal" and str(run.record_id) == deal["id"]
