"""Fixtures for scoring tests: the controlled clock and SMTP inbox of the job tests, helpers
to add rules through the API and to let the workers' work happen (events, the web scan)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from amity.activities.models import Notification, Task
from amity.config import Settings
from amity.core.db import Database
from amity.jobs import queue
from amity.jobs.worker import run_until_idle
from amity.scoring.models import ContactScore, ScoreEntry
from tests.jobs.conftest import Clock, Inbox, clock, inbox, smtp_settings

__all__ = ["Clock", "Inbox", "clock", "inbox", "smtp_settings"]


def rule(client: Any, **fields: Any) -> dict[str, Any]:
    body = {"name": f"{fields.get('behaviour') or fields.get('field')} rule", "kind": "behaviour",
            **fields}
    r = client.post("/api/v1/scoring/rules", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def settle(database: Database, settings: Settings) -> int:
    """Scan web events now and run every due job (as the workers would)."""
    with database.transaction() as s:
        queue.enqueue(s, "scoring.scan_web", {})
    return run_until_idle(database, settings)


def score_of(database: Database, contact_id: Any) -> ContactScore | None:
    contact_id = uuid.UUID(str(contact_id))
    with database.transaction(write=False) as s:
        return s.scalar(select(ContactScore).where(ContactScore.contact_id == contact_id))


def entries(database: Database, contact_id: Any) -> list[ScoreEntry]:
    contact_id = uuid.UUID(str(contact_id))
    with database.transaction(write=False) as s:
        return list(s.scalars(select(ScoreEntry).where(ScoreEntry.contact_id == contact_id)
                              .order_by(ScoreEntry.occurred_at, ScoreEntry.created_at)))


def alerts(database: Database, contact_id: Any) -> tuple[list[Notification], list[Task]]:
    contact_id = uuid.UUID(str(contact_id))
    with database.transaction(write=False) as s:
        notes = list(s.scalars(select(Notification).where(
            Notification.kind == "hot_lead", Notification.entity_id == contact_id)))
        tasks = list(s.scalars(select(Task).where(Task.contact_id == contact_id)))
        return notes, tasks
