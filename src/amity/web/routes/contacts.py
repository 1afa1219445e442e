"""Contact pages: the new-contact form, the contact page and notes (the list: contact_list)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from amity.api.deps import AppSettings, DbSession
from amity.auth import fields
from amity.auth.access import (
    FieldForbidden,
    Permission,
    access_record,
    can_see_sensitive,
    require,
    scope_for,
    scoped,
)
from amity.auth.models import User
from amity.contacts import service
from amity.contacts.models import LIFECYCLE_STAGES, Contact
from amity.contacts.schemas import ContactUpdate, TimelineItem
from amity.contacts.view360 import contact_360
from amity.core.audit import history_of
from amity.core.errors import DomainError
from amity.core.schemas import Output
from amity.notes import service as notes
from amity.notes.schemas import NoteCreate
from amity.web import forms, record_fields
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.routes import contact_bulk, contact_list
from amity.web.templating import is_htmx, render

router = APIRouter(route_class=WebRoute)
router.include_router(contact_list.router)  # the list and saved views
router.include_router(contact_bulk.router)  # bulk actions on the list

TIMELINE_LIMIT = 20


class HistoryEntry(Output):
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    action: str
    changes: dict[str, Any]
EMPTY_NOTE = "Write something before adding the note."


def _people(db: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, User]:
    """Owner and note authors by id, in one query (for names on the contact page)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in db.scalars(select(User).where(User.id.in_(wanted)))}


@router.get("/")
def home() -> Response:
    return RedirectResponse("/contacts", status_code=303)


def _new_form(request: Request, user: User, form: forms.ContactForm, errors: forms.FormErrors,
              status_code: int = 200) -> Response:
    return render(request, "contacts/new.html",
                  {"form": form, "errors": errors, "stages": LIFECYCLE_STAGES,
                   "sensitive_ok": can_see_sensitive(user)}, status_code=status_code)


@router.get("/contacts/new")
def new_contact_form(request: Request, user: WebUser) -> Response:
    require(user, Permission.CONTACTS_CREATE)
    return _new_form(request, user, forms.ContactForm(), forms.FormErrors())


@router.post("/contacts", dependencies=[CsrfChecked])
def create_contact(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
                   form: Annotated[forms.ContactForm, Form()]) -> Response:
    require(user, Permission.CONTACTS_CREATE)
    try:
        data = forms.contact_create(form)
        fields.check_write(db, user, "contact", data, Permission.CONTACTS_CREATE)
        contact = service.create_contact(db, data=data, actor=user,
                                         region=settings.default_region)
    except (ValidationError, DomainError) as exc:
        db.rollback()  # we answer with a page instead of raising: nothing may be written
        status = exc.status if isinstance(exc, DomainError) else 422
        errors = forms.errors_from(exc)
        if isinstance(exc, FieldForbidden):  # the field may be hidden: say it above the form
            errors = forms.FormErrors({forms.FORM_ERROR: exc.message})
        return _new_form(request, user, form, errors, status_code=status)
    return RedirectResponse(f"/contacts/{contact.id}", status_code=303)


@router.get("/contacts/{contact_id}")
def contact_page(request: Request, contact_id: uuid.UUID, db: DbSession,
                 user: WebUser) -> Response:
    contact = access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW,
                            entity="contact")
    return _contact_page(request, db, user, contact)


def _contact_page(request: Request, db: Session, user: User, contact: Contact,
                  note_error: str | None = None, note_body: str = "",
                  status_code: int = 200, cf_errors: dict[str, str] | None = None,
                  cf_posted: FormData | None = None) -> Response:
    view = contact_360(db, contact, timeline_limit=TIMELINE_LIMIT, reader=user,
                       visible_contacts=lambda stmt: scoped(db, stmt, user, Contact,
                                                            Permission.CONTACTS_VIEW))
    view = view.model_copy(update={"contact": fields.redact_one(db, user, "contact",
                                                                 view.contact)})
    people = _people(db, [view.contact.owner_id, *(t.author_id for t in view.timeline)])
    values = view.contact.custom_fields
    return render(request, "contacts/detail.html",
                  {"view": view, "c": view.contact, "people": people, "note_error": note_error,
                   "note_body": note_body,
                   **record_fields.context(
                       db, user, "contact", values, action=f"/contacts/{contact.id}/details",
                       version=view.contact.version,
                       can_edit=scope_for(user, Permission.CONTACTS_EDIT) != "none",
                       errors=cf_errors, posted=cf_posted)},
                  status_code=status_code)


@router.post("/contacts/{contact_id}/details", dependencies=[CsrfChecked])
def edit_contact_details(request: Request, contact_id: uuid.UUID, db: DbSession,
                         user: WebUser, settings: AppSettings,
                         posted: Annotated[FormData, Depends(record_fields.posted_form)]
                         ) -> Response:
    """Save the custom fields shown in the Edit details form (through ``update_contact``)."""
    contact = access_record(db, user, Contact, contact_id, Permission.CONTACTS_EDIT,
                            entity="contact")
    refused = record_fields.save(
        db, user, "contact", contact, posted, schema=ContactUpdate,
        permission=Permission.CONTACTS_EDIT,
        update=lambda data: service.update_contact(db, contact=contact, data=data, actor=user,
                                              region=settings.default_region))
    if refused is not None:
        return _contact_page(request, db, user, contact, status_code=refused.status,
                             cf_errors=refused.errors, cf_posted=refused.posted)
    return RedirectResponse(f"/contacts/{contact.id}#details", status_code=303)


@router.post("/contacts/{contact_id}/notes", dependencies=[CsrfChecked])
def add_contact_note(request: Request, contact_id: uuid.UUID, db: DbSession, user: WebUser,
                     body: Annotated[str, Form()] = "") -> Response:
    contact = access_record(db, user, Contact, contact_id, Permission.CONTACTS_EDIT,
                            entity="contact")
    try:
        note = notes.add_note(db, entity_type="contact", entity_id=contact.id,
                              data=NoteCreate(body=body), actor=user)
    except (ValidationError, DomainError) as exc:
        db.rollback()
        message = EMPTY_NOTE if isinstance(exc, ValidationError) else exc.message
        if is_htmx(request):  # show the message by the form, not in the timeline
            return render(request, "contacts/_note_error.html", {"message": message},
                          status_code=422,
                          headers={"HX-Retarget": "#note-error", "HX-Reswap": "innerHTML"})
        return _contact_page(request, db, user, contact, note_error=message, note_body=body,
                             status_code=422)
    if not is_htmx(request):
        return RedirectResponse(f"/contacts/{contact.id}#timeline", status_code=303)
    item = TimelineItem(kind="note", id=note.id, occurred_at=note.created_at,
                        title=note.body.strip().splitlines()[0][:80], body=note.body,
                        author_id=note.author_id)
    return render(request, "contacts/_timeline_item.html",
                  {"item": item, "people": {user.id: user}, "new": True})


HISTORY_LIMIT = 100


@router.get("/contacts/{contact_id}/history")
def contact_history(request: Request, contact_id: uuid.UUID, db: DbSession,
                    user: WebUser) -> Response:
    """The contact's audit trail, newest first (sensitive values masked for this reader)."""
    contact = access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW,
                            entity="contact")
    entries = fields.redact_history(db, user, "contact", [
        HistoryEntry.model_validate(e) for e in history_of(
            db, entity_type="contact", entity_id=contact.id, limit=HISTORY_LIMIT)])
    ctx = {"entries": entries, "people": _people(db, [e.actor_id for e in entries]),
           "c": contact, "limit": HISTORY_LIMIT}
    return render(request, "contacts/_history.html" if is_htmx(request)
                  else "contacts/history.html", ctx)
