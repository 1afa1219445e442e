"""Keeping the stored embeddings in step with the notes and interactions.

``refresh_embeddings`` embeds, in batches, every live note and interaction that has no
vector yet, changed since it was embedded or was embedded by another model, and forgets the
vectors of deleted ones. It is idempotent (a rerun finds nothing to do) and is what the
``semantic.embed`` job and ``amity semantic index`` run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.activities.models import Interaction
from amity.core.clock import now
from amity.core.db import is_postgres
from amity.notes.models import Note
from amity.semantic import encoder
from amity.semantic.models import TextEmbedding

BATCH = 500
MAX_CHARS = 4_000  # a static model averages words: the opening of a long text says enough

E = TextEmbedding


@dataclass(frozen=True)
class IndexResult:
    embedded: int
    removed: int


def _pending(db: Session, model: Any, kind: str, columns: tuple[Any, ...],
             limit: int) -> list[Any]:
    stale = or_(E.id.is_(None), E.source_updated_at != model.updated_at,
                E.model != encoder.MODEL_NAME)
    return list(db.execute(
        select(model.id, model.updated_at, *columns)
        .outerjoin(E, and_(E.source_type == kind, E.source_id == model.id))
        .where(model.deleted_at.is_(None), stale)
        .order_by(model.id).limit(limit)).all())


def _note_rows(db: Session, limit: int) -> list[tuple[Any, ...]]:
    rows = _pending(db, Note, "note", (Note.created_at, Note.body), limit)
    return [(r[0], r[1], r[2], r[3] or "") for r in rows]


def _interaction_rows(db: Session, limit: int) -> list[tuple[Any, ...]]:
    rows = _pending(db, Interaction, "interaction",
                    (Interaction.occurred_at, Interaction.subject, Interaction.body), limit)
    return [(r[0], r[1], r[2], "\n".join(x for x in (r[3], r[4]) if x)) for r in rows]


def _store(db: Session, kind: str, rows: list[tuple[Any, ...]]) -> None:
    vectors = encoder.encode([str(r[3])[:MAX_CHARS] for r in rows])
    at = now()
    values = [{"source_type": kind, "source_id": r[0], "source_updated_at": r[1],
               "occurred_at": r[2], "model": encoder.MODEL_NAME,
               "vector": encoder.to_bytes(v), "computed_at": at}
              for r, v in zip(rows, vectors, strict=True)]
    dialect = postgresql if is_postgres(db) else sqlite
    stmt = dialect.insert(E)
    db.execute(stmt.on_conflict_do_update(
        index_elements=["source_type", "source_id"],
        set_={c: stmt.excluded[c] for c in ("source_updated_at", "occurred_at", "model",
                                            "vector", "computed_at")}), values)


def _forget_deleted(db: Session) -> int:
    removed = 0
    for kind, model in (("note", Note), ("interaction", Interaction)):
        live = select(model.id).where(model.deleted_at.is_(None))
        result = db.execute(delete(E).where(E.source_type == kind, E.source_id.not_in(live))
                            .execution_options(synchronize_session=False))
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


def refresh_embeddings(db: Session, *, batch: int = BATCH,
                       max_rows: int | None = None) -> IndexResult:
    """Embed what is missing or stale (at most ``max_rows`` this run; None: all of it)."""
    if not encoder.available():
        return IndexResult(0, _forget_deleted(db))
    done = 0
    for kind, fetch in (("note", _note_rows), ("interaction", _interaction_rows)):
        while max_rows is None or done < max_rows:
            size = batch if max_rows is None else min(batch, max_rows - done)
            rows = fetch(db, size)
            if not rows:
                break
            _store(db, kind, rows)
            db.flush()
            done += len(rows)
    return IndexResult(done, _forget_deleted(db))


def pending_count(db: Session) -> int:
    """How many notes and interactions wait for a vector (shown with the results)."""
    from sqlalchemy import func

    total = 0
    for kind, model in (("note", Note), ("interaction", Interaction)):
        total += int(db.scalar(
            select(func.count()).select_from(model)
            .outerjoin(E, and_(E.source_type == kind, E.source_id == model.id))
            .where(model.deleted_at.is_(None),
                   or_(E.id.is_(None), E.source_updated_at != model.updated_at,
                       E.model != encoder.MODEL_NAME))) or 0)
    return total
