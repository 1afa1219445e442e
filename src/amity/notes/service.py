"""Writing notes. Callers pass a parent they have already loaded through the access layer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import PreconditionFailed, ValidationFailed
from amity.core.events import DomainEvent, publish
from amity.core.pagination import Page, Sort, keyset, page_of
from amity.notes.models import NOTE_ENTITIES, Note
from amity.notes.schemas import NoteCreate, NoteUpdate


@dataclass(frozen=True)
class NoteAdded(DomainEvent):
    type = "note.added"
    note_id: uuid.UUID
    entity_type: str = ""
    entity_id: uuid.UUID | None = None


def add_note(db: Session, *, entity_type: str, entity_id: uuid.UUID, data: NoteCreate,
             actor: User) -> Note:
    if entity_type not in NOTE_ENTITIES:
        raise ValidationFailed("note.entity", f"notes attach to {NOTE_ENTITIES}", "entity_type")
    note = Note(id=uuid.uuid4(), entity_type=entity_type, entity_id=entity_id, body=data.body,
                pinned=data.pinned, author_id=actor.id)
    db.add(note)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="note", entity_id=note.id,
                 changes={"entity": [None, f"{entity_type}:{entity_id}"]})
    publish(db, NoteAdded(note_id=note.id, entity_type=entity_type, entity_id=entity_id))
    return note


def update_note(db: Session, *, note: Note, data: NoteUpdate, actor: User,
                expected_version: int | None = None) -> Note:
    version = data.version if data.version is not None else expected_version
    if version is not None and version != note.version:
        raise PreconditionFailed()
    changes: dict[str, list[object]] = {}
    if data.body is not None and data.body != note.body:
        changes["body"] = [note.body, data.body]
        note.body = data.body
    if data.pinned is not None and data.pinned != note.pinned:
        changes["pinned"] = [note.pinned, data.pinned]
        note.pinned = data.pinned
    if changes:
        note.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="note",
                     entity_id=note.id, changes=changes)
    return note


def delete_note(db: Session, *, note: Note, actor: User) -> None:
    if note.deleted_at is None:
        note.deleted_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="delete", entity_type="note",
                     entity_id=note.id)


_NOTE_SORT = Sort("created_at", Note.created_at, descending=True)


def list_notes(db: Session, *, entity_type: str, entity_id: uuid.UUID, cursor: str | None,
               limit: int) -> Page[Note]:
    stmt = select(Note).where(Note.entity_type == entity_type, Note.entity_id == entity_id,
                              Note.deleted_at.is_(None))
    rows = list(db.scalars(keyset(stmt, _NOTE_SORT, Note.id, cursor, limit)))
    return page_of(rows, _NOTE_SORT, limit, key=lambda n: n.created_at)


def latest_notes(db: Session, *, entity_type: str, entity_id: uuid.UUID,
                 limit: int) -> tuple[list[Note], int]:
    """Newest notes first, and how many there are in all (two queries)."""
    base = (Note.entity_type == entity_type, Note.entity_id == entity_id,
            Note.deleted_at.is_(None))
    notes = list(db.scalars(select(Note).where(*base)
                            .order_by(Note.created_at.desc(), Note.id.desc()).limit(limit)))
    total = int(db.scalar(select(func.count()).select_from(Note).where(*base)) or 0)
    return notes, total
