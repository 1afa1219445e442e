"""/notes/{id}: change or remove one note (its parent decides who may)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from amity.api.deps import CurrentUser, DbSession, IfMatch, etag, parse_if_match
from amity.auth.access import Permission, access_record
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core.errors import NotFound
from amity.notes import service
from amity.notes.models import Note
from amity.notes.schemas import NoteRead, NoteUpdate

router = APIRouter(prefix="/notes", tags=["notes"])
_PARENTS = {"contact": (Contact, Permission.CONTACTS_VIEW, Permission.CONTACTS_EDIT),
            "company": (Company, Permission.COMPANIES_VIEW, Permission.COMPANIES_EDIT)}


def _load(db: DbSession, user: CurrentUser, note_id: uuid.UUID, write: bool) -> Note:
    note = db.get(Note, note_id)
    if note is None or note.deleted_at is not None or note.entity_type not in _PARENTS:
        raise NotFound("note")
    model, view, edit = _PARENTS[note.entity_type]
    access_record(db, user, model, note.entity_id, edit if write else view, entity="note")
    return note


@router.get("/{note_id}", response_model=NoteRead)
def get_note(note_id: uuid.UUID, response: Response, db: DbSession, user: CurrentUser) -> Note:
    note = _load(db, user, note_id, write=False)
    response.headers["ETag"] = etag(note.version)
    return note


@router.patch("/{note_id}", response_model=NoteRead)
def update_note(note_id: uuid.UUID, body: NoteUpdate, db: DbSession, user: CurrentUser,
                if_match: IfMatch = None) -> Note:
    note = _load(db, user, note_id, write=True)
    return service.update_note(db, note=note, data=body, actor=user,
                               expected_version=parse_if_match(if_match))


@router.delete("/{note_id}", status_code=204)
def delete_note(note_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    note = _load(db, user, note_id, write=True)
    service.delete_note(db, note=note, actor=user)
    return Response(status_code=204)
