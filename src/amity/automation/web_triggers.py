"""Web-activity triggers: a page viewed, a download, a site form submitted, an email opened
or a link in it clicked. These are rows of ``web_events`` (too many for the events outbox,
see docs/decisions/0003), so a scan reads what arrived since its cursor (``received_at``,
re-reading an overlap for late commits) and starts each matching workflow once per web event
(occasion ``web:<web event id>``, the run's unique key)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from amity.activities.outreach_models import WebEvent
from amity.automation.definition import Definition, WebTrigger
from amity.automation.engine import Hooks, Subject, start_run
from amity.automation.models import Workflow, WorkflowRun, WorkflowVersion
from amity.automation.triggers import lock_cursor
from amity.core.clock import now

OVERLAP = timedelta(seconds=60)
BATCH = 2000


def web_workflows(db: Session) -> list[tuple[Workflow, WebTrigger]]:
    rows = db.execute(select(Workflow, WorkflowVersion.definition).join(
        WorkflowVersion, and_(WorkflowVersion.workflow_id == Workflow.id,
                              WorkflowVersion.number == Workflow.current_version))
        .where(Workflow.enabled.is_(True), Workflow.deleted_at.is_(None),
               Workflow.trigger_key.like("web:%"))).all()
    out = []
    for w, raw in rows:
        trigger = Definition.model_validate(raw).trigger
        if isinstance(trigger, WebTrigger):
            out.append((w, trigger))
    return out


def matches(trigger: WebTrigger, kind: str, url: str | None) -> bool:
    if trigger.kind != kind:
        return False
    wanted = (trigger.url_contains or "").casefold()
    return not wanted or wanted in (url or "").casefold()


def scan_web(db: Session, hooks: Hooks, at: datetime | None = None) -> list[WorkflowRun]:
    """Start the web-triggered workflows for web events of known contacts received since the
    cursor; the cursor always moves on, so enabling a workflow does not replay the past."""
    at = at or now()
    cursor = lock_cursor(db, "web", at - OVERLAP, at)
    start = (cursor.position or at) - OVERLAP
    flows = web_workflows(db)
    runs: list[WorkflowRun] = []
    rows: list[tuple[object, ...]] = []
    if flows:
        kinds = sorted({t.kind for _, t in flows})
        rows = [tuple(r) for r in db.execute(
            select(WebEvent.id, WebEvent.type, WebEvent.contact_id, WebEvent.url,
                   WebEvent.received_at)
            .where(WebEvent.received_at > start, WebEvent.received_at <= at,
                   WebEvent.contact_id.is_not(None), WebEvent.type.in_(kinds))
            .order_by(WebEvent.received_at, WebEvent.id).limit(BATCH))]
        for event_id, kind, contact_id, url, _ in rows:
            for workflow, trigger in flows:
                if not matches(trigger, str(kind), url if isinstance(url, str) else None):
                    continue
                run = start_run(db, workflow=workflow, subject=Subject(contact_id),  # type: ignore[arg-type]
                                occasion=f"web:{event_id}", hooks=hooks)
                if run is not None:
                    runs.append(run)
    last = rows[-1][4] if rows else None
    # a full batch may leave more: continue from the last one read (next tick), else from now
    cursor.position = (last + OVERLAP if len(rows) == BATCH and isinstance(last, datetime)
                       else at)
    cursor.updated_at = at
    return runs
