"""/contacts/{id}/consents, /export and /erase: consent, subject access and erasure."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import Field, StringConstraints

from amity.api.deps import CurrentUser, DbSession
from amity.auth.access import Permission, access_record, can_see_sensitive
from amity.contacts import consent
from amity.contacts.models import Contact
from amity.contacts.schemas import Channel
from amity.core.errors import Forbidden
from amity.core.schemas import Input, Output
from amity.privacy import erase, export

router = APIRouter(prefix="/contacts", tags=["privacy"])

Purpose = Literal["marketing", "newsletter", "transactional", "profiling", "third_party"]


class ConsentIn(Input):
    purpose: Purpose
    channel: Channel
    status: Literal["given", "withdrawn"]
    source: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="How it was obtained: 'web form', 'phone call'...")
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class ConsentRead(Output):
    id: uuid.UUID
    purpose: str
    channel: str
    status: str
    recorded_at: datetime
    source: str | None
    note: str | None
    actor_id: uuid.UUID | None


class ConsentState(Output):
    current: list[ConsentRead] = Field(description="The latest event per purpose and channel")
    history: list[ConsentRead] = Field(description="Every event, newest first")


class EraseIn(Input):
    confirm: Annotated[str, StringConstraints(max_length=64)] = Field(
        description="The contact's id, repeated: erasure cannot be undone")


class ErasureRead(Output):
    contact_id: uuid.UUID
    erased_at: datetime
    already_erased: bool
    notes_erased: int
    audit_entries_scrubbed: int
    events_scrubbed: int
    idempotency_records_deleted: int


def _load(db: DbSession, user: CurrentUser, contact_id: uuid.UUID, perm: Permission,
          include_deleted: bool = False) -> Contact:
    return access_record(db, user, Contact, contact_id, perm, entity="contact",
                         include_deleted=include_deleted)


@router.get("/{contact_id}/consents", response_model=ConsentState,
            summary="Consent: the current state per purpose and channel, and the history")
def get_consents(contact_id: uuid.UUID, db: DbSession, user: CurrentUser) -> dict[str, Any]:
    c = _load(db, user, contact_id, Permission.CONTACTS_VIEW, include_deleted=True)
    history = consent.consent_history(db, c.id)
    return {"current": consent.current_consents(history), "history": history}


@router.post("/{contact_id}/consents", status_code=201, response_model=ConsentRead,
             summary="Record consent given or withdrawn (appended; the history is kept)")
def add_consent(contact_id: uuid.UUID, body: ConsentIn, db: DbSession,
                user: CurrentUser) -> Any:
    c = _load(db, user, contact_id, Permission.CONTACTS_EDIT)
    return consent.record_consent(db, contact=c, purpose=body.purpose, channel=body.channel,
                                  status=body.status, source=body.source, note=body.note,
                                  actor=user)


@router.get("/{contact_id}/export", summary="Everything held about this person (JSON or HTML)",
            responses={200: {"content": {"application/json": {}, "text/html": {}}}})
def export_contact(contact_id: uuid.UUID, db: DbSession, user: CurrentUser,
                   format: Annotated[Literal["json", "html"], Query()] = "json") -> Response:
    """Needs contacts.export on the record and the right to see sensitive fields (the export
    is complete). Deleted contacts can be exported too. The export is audited."""
    c = _load(db, user, contact_id, Permission.CONTACTS_EXPORT, include_deleted=True)
    if not can_see_sensitive(user):
        raise Forbidden("A complete export includes sensitive fields, which you may not see")
    media, text = export.export_contact(db, contact=c, fmt=format, actor=user)
    name = f"contact-{c.id}.{format}"
    return Response(text, media_type=media,
                     headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/{contact_id}/erase", response_model=ErasureRead,
             summary="Erase this person's personal data everywhere (administrators; final)")
def erase_contact(contact_id: uuid.UUID, body: EraseIn, db: DbSession,
                  user: CurrentUser) -> Any:
    """Only administrators may erase. Send `{"confirm": "<the contact's id>"}`. Erasing an
    erased contact again is harmless."""
    c = _load(db, user, contact_id, Permission.CONTACTS_DELETE, include_deleted=True)
    if not user.is_admin:
        raise Forbidden("Only administrators may erase a person's data")
    return erase.erase_contact(db, contact=c, confirm=body.confirm, actor=user)
