"""The duplicate scan as a job: daily over the whole database (schedule) and on demand."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from amity.dedupe import scan
from amity.dedupe.models import ENTITIES
from amity.jobs import queue
from amity.jobs.context import JobContext
from amity.jobs.registry import PermanentError, job

SCAN = "dedupe.scan"


def enqueue_scan(db: Session, entity: str) -> uuid.UUID:
    """A scan now (a scan is idempotent: two running one after the other store the same)."""
    return queue.enqueue(db, SCAN, {"entity": entity}).id


@job(SCAN, max_attempts=3)
def run_scan(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    """Refresh the suggestions of one entity, or of both when the payload names none."""
    wanted = payload.get("entity")
    if wanted is not None and wanted not in ENTITIES:
        raise PermanentError(f"unknown entity {wanted!r}")
    for entity in [wanted] if wanted else ENTITIES:
        scan.scan(db, entity=entity)
        db.commit()
        ctx.heartbeat()
