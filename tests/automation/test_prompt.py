"""Workflows start from the event dispatcher, not only from the periodic scan: one job per
event whose type an enabled workflow starts on, none for other events, and the scan that
follows (the safety net) starts nothing twice but catches what the dispatcher passed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from amity.config import Settings
from amity.core.db import Database
from amity.jobs.automation import WORKFLOWS
from amity.jobs.models import Job
from amity.jobs.worker import run_until_idle
from tests.automation.conftest import Clock, flow, runs, scan
from tests.factories import make_contact


def workflow_jobs(database: Database) -> list[str]:
    with database.transaction(write=False) as s:
        return sorted(str(p["event_type"]) for p in s.scalars(
            select(Job.payload).where(Job.kind == f"event:{WORKFLOWS}")))


def test_dispatcher_starts_the_run_without_the_scan(client: Any, database: Database,
                                                    settings: Settings, clock: Clock) -> None:
    w = flow(client, {"type": "event", "event": "contact.created"},
             [{"type": "add_tag", "tag": "new"}])
    c = make_contact(client, first_name="Ada")
    run_until_idle(database, settings)  # dispatch and jobs only: no scan enqueued
    [run] = runs(database, w["id"])
    assert run.status == "done" and str(run.contact_id) == c["id"]
    assert client.get(f"/api/v1/contacts/{c['id']}").json()["tags"] == ["new"]
    # contact.updated (the tag) has no workflow: no evaluation job for it
    assert workflow_jobs(database) == ["contact.created"]
    scan(database, settings)  # the safety net reads the same event: no second run
    assert len(runs(database, w["id"])) == 1


def test_scan_catches_events_dispatched_before_the_workflow_was_enabled(
        client: Any, database: Database, settings: Settings, clock: Clock) -> None:
    w = flow(client, {"type": "event", "event": "contact.created"},
             [{"type": "add_tag", "tag": "late"}], enabled=False)
    c = make_contact(client, first_name="Bo")
    run_until_idle(database, settings)
    assert runs(database) == [] and workflow_jobs(database) == []
    r = client.post(f"/api/v1/workflows/{w['id']}/enable")
    assert r.status_code == 200, r.text
    scan(database, settings)
    [run] = runs(database, w["id"])
    assert run.status == "done" and str(run.contact_id) == c["id"]
