"""Fixtures for workflows: a controlled clock, a real SMTP server, helpers that create
workflows through the API and run the scans the scheduler would run."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from amity.automation.models import WorkflowRun
from amity.config import Settings
from amity.core.db import Database
from amity.jobs import queue
from amity.jobs.automation import SCAN_DATES, SCAN_EVENTS
from amity.jobs.worker import run_until_idle
from tests.jobs.conftest import Clock, Inbox, clock, inbox, smtp_settings

__all__ = ["Clock", "Inbox", "clock", "flow", "inbox", "runs", "scan", "smtp_settings"]


def flow(client: TestClient, trigger: dict[str, Any], actions: list[dict[str, Any]],
         conditions: dict[str, Any] | None = None, enabled: bool = True,
         name: str = "Flow") -> dict[str, Any]:
    definition: dict[str, Any] = {"trigger": trigger, "actions": actions}
    if conditions is not None:
        definition["conditions"] = conditions
    r = client.post("/api/v1/workflows", json={"name": name, "enabled": enabled,
                                               "definition": definition})
    assert r.status_code == 201, r.text
    return dict(r.json())


def scan(database: Database, settings: Settings, *kinds: str) -> None:
    """Run what the scheduler would: the event scan (and the date scan if asked), then every
    job that follows (tasks, emails, resumes due now)."""
    run_until_idle(database, settings)
    with database.transaction() as s:
        for kind in kinds or (SCAN_EVENTS,):
            queue.enqueue(s, kind)
    run_until_idle(database, settings)


def runs(database: Database, workflow_id: Any = None) -> list[WorkflowRun]:
    with database.transaction(write=False) as s:
        stmt = select(WorkflowRun).order_by(WorkflowRun.created_at, WorkflowRun.id)
        if workflow_id is not None:
            stmt = stmt.where(WorkflowRun.workflow_id == uuid.UUID(str(workflow_id)))
        return list(s.scalars(stmt))


DATES = SCAN_DATES
