"""Sequences (``/sequences``): read with contacts.view, define with settings.edit; enrolling
or stopping needs contacts.edit on the contact; enrolment lists show visible contacts only."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Query, Response

from amity.api.deps import CurrentUser, DbSession, IfMatch, etag, parse_if_match
from amity.auth.access import Permission, access_record, check_record, require, scoped
from amity.contacts.models import Contact
from amity.core.errors import NotFound
from amity.sequences import queries, service
from amity.sequences.models import SequenceEnrolment
from amity.sequences.schemas import (
    EnrolIn,
    EnrolmentRead,
    SequenceCreate,
    SequenceRead,
    SequenceUpdate,
    StopIn,
)

router = APIRouter(tags=["sequences"])


@router.get("/sequences", response_model=list[SequenceRead], summary="Sequences")
def list_sequences(db: DbSession, user: CurrentUser) -> list[dict[str, Any]]:
    require(user, Permission.CONTACTS_VIEW)
    return [queries.sequence_out(db, s) for s in queries.list_sequences(db)]


@router.post("/sequences", status_code=201, response_model=SequenceRead,
             summary="Create a sequence with its steps",
             description="422 (nothing stored) for a step without what it needs or an unknown "
                         "template; 409 for a name in use.")
def create_sequence(body: SequenceCreate, db: DbSession, user: CurrentUser) -> dict[str, Any]:
    require(user, Permission.SETTINGS_MANAGE)
    seq = service.create_sequence(
        db, values=body.model_dump(exclude={"steps"}),
        steps=[s.as_values() for s in body.steps], actor=user)
    return queries.sequence_out(db, seq)


@router.get("/sequences/{sequence_id}", response_model=SequenceRead)
def get_sequence(sequence_id: uuid.UUID, response: Response, db: DbSession,
                 user: CurrentUser) -> dict[str, Any]:
    require(user, Permission.CONTACTS_VIEW)
    seq = service.live_sequence(db, sequence_id)
    response.headers["ETag"] = etag(seq.version)
    return queries.sequence_out(db, seq)


@router.patch("/sequences/{sequence_id}", response_model=SequenceRead,
              description="``steps`` replaces all steps; active enrolments keep their position.")
def update_sequence(sequence_id: uuid.UUID, body: SequenceUpdate, response: Response,
                    db: DbSession, user: CurrentUser,
                    if_match: IfMatch = None) -> dict[str, Any]:
    require(user, Permission.SETTINGS_MANAGE)
    seq = service.live_sequence(db, sequence_id)
    version = body.version if body.version is not None else parse_if_match(if_match)
    values = body.model_dump(exclude_unset=True, exclude={"version", "steps"})
    for key in ("name", "enabled"):
        if key in values and values[key] is None:
            values.pop(key)
    steps = [s.as_values() for s in body.steps] if body.steps is not None else None
    seq = service.update_sequence(db, sequence=seq, values=values, steps=steps, actor=user,
                                  expected_version=version)
    response.headers["ETag"] = etag(seq.version)
    return queries.sequence_out(db, seq)


@router.delete("/sequences/{sequence_id}", status_code=204,
               description="Its active enrolments stop.")
def delete_sequence(sequence_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    service.delete_sequence(db, sequence=service.live_sequence(db, sequence_id), actor=user)
    return Response(status_code=204)


@router.post("/sequences/{sequence_id}/enrol", status_code=201, response_model=EnrolmentRead,
             summary="Enrol a contact",
             description="The first step runs at once (by the workers). 409 if the contact is "
                         "already active in this sequence; 422 for a disabled or empty "
                         "sequence or an unknown contact.")
def enrol(sequence_id: uuid.UUID, body: EnrolIn, db: DbSession,
          user: CurrentUser) -> SequenceEnrolment:
    service.live_sequence(db, sequence_id)
    contact = db.get(Contact, body.contact_id)
    if contact is not None and contact.deleted_at is None:
        check_record(db, user, contact, Permission.CONTACTS_EDIT, entity="contact")
    return service.enrol(db, sequence_id=sequence_id, contact_id=body.contact_id, actor=user,
                         reason=body.reason)


@router.get("/sequences/{sequence_id}/enrolments", response_model=list[EnrolmentRead],
            summary="A sequence's enrolments (newest first, contacts you may see)")
def list_enrolments(sequence_id: uuid.UUID, db: DbSession, user: CurrentUser,
                    status: Literal["active", "stopped", "finished"] | None = None,
                    limit: int = Query(100, ge=1, le=500)) -> list[SequenceEnrolment]:
    require(user, Permission.CONTACTS_VIEW)
    service.live_sequence(db, sequence_id)
    rows = queries.enrolments(
        db, sequence_id=sequence_id, status=status, limit=limit,
        visible=lambda stmt: scoped(db, stmt, user, Contact, Permission.CONTACTS_VIEW))
    return [e for e, _ in rows]


@router.post("/sequences/enrolments/{enrolment_id}/stop", response_model=EnrolmentRead,
             summary="Stop an enrolment", description="409 if it is not active.")
def stop(enrolment_id: uuid.UUID, body: StopIn, db: DbSession,
         user: CurrentUser) -> SequenceEnrolment:
    enr = db.get(SequenceEnrolment, enrolment_id)
    if enr is None:
        raise NotFound("enrolment")
    access_record(db, user, Contact, enr.contact_id, Permission.CONTACTS_EDIT,
                  entity="enrolment", include_deleted=True)
    return service.stop_enrolment(db, enrolment=enr, reason=body.reason, actor=user)
