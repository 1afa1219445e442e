"""The embedding job: ``semantic.embed`` (every five minutes, see ``jobs.schedule``) gives
new and changed notes and interactions their vectors and forgets deleted ones. Idempotent;
a run does at most ``MAX_ROWS`` so a large backlog is worked through in steps. Without the
``semantic`` extra it only forgets deleted rows (search falls back to keywords)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from amity.jobs import queue
from amity.jobs.context import JobContext
from amity.jobs.registry import job

EMBED = "semantic.embed"
MAX_ROWS = 20_000


@job(EMBED, max_attempts=3)
def embed(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    from amity.semantic.index import refresh_embeddings

    refresh_embeddings(db, max_rows=int(payload.get("max_rows", MAX_ROWS)))


def request_embedding(db: Session) -> None:
    """Queue a run now (after this transaction commits)."""
    queue.enqueue(db, EMBED, {})
