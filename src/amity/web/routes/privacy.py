"""Contact privacy pages: consent state and form, the record's history, export and erasure.

The contact page includes ``contacts/_privacy.html``, which loads the panel with HTMX (a link
to the full page without JavaScript).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.api.deps import DbSession
from amity.auth.access import Permission, access_record, can_see_sensitive, scope_for
from amity.auth.models import User
from amity.contacts import consent
from amity.contacts.models import CHANNELS, CONSENT_PURPOSES, Contact
from amity.core.audit import history_of
from amity.core.errors import DomainError, Forbidden
from amity.privacy import erase, export
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import is_htmx, render

router = APIRouter(route_class=WebRoute)
HISTORY_LIMIT = 50


def _load(db: Session, user: User, contact_id: uuid.UUID, perm: Permission) -> Contact:
    return access_record(db, user, Contact, contact_id, perm, entity="contact")


def _panel(request: Request, db: Session, user: User, contact: Contact, *,
           error: str | None = None, status_code: int = 200) -> Response:
    history = consent.consent_history(db, contact.id)
    entries = history_of(db, entity_type="contact", entity_id=contact.id, limit=HISTORY_LIMIT)
    actors = {e.actor_id for e in entries if e.actor_id}
    people = ({u.id: u for u in db.scalars(select(User).where(User.id.in_(actors)))}
              if actors else {})
    ctx = {"c": contact, "current": consent.current_consents(history), "history": history,
           "entries": entries, "people": people, "purposes": CONSENT_PURPOSES,
           "channels": CHANNELS, "error": error, "link_records": False,
           "can_edit": scope_for(user, Permission.CONTACTS_EDIT) != "none",
           "can_export": scope_for(user, Permission.CONTACTS_EXPORT) != "none"
           and can_see_sensitive(user),
           "can_erase": user.is_admin}
    name = "audit/_contact_panel.html" if is_htmx(request) else "audit/contact_privacy.html"
    return render(request, name, ctx, status_code=status_code)


@router.get("/contacts/{contact_id}/privacy")
def privacy_panel(request: Request, contact_id: uuid.UUID, db: DbSession,
                  user: WebUser) -> Response:
    return _panel(request, db, user, _load(db, user, contact_id, Permission.CONTACTS_VIEW))


@router.post("/contacts/{contact_id}/consents", dependencies=[CsrfChecked])
def add_consent(request: Request, contact_id: uuid.UUID, db: DbSession, user: WebUser,
                purpose: Annotated[str, Form(max_length=40)] = "",
                channel: Annotated[str, Form(max_length=20)] = "",
                status: Annotated[str, Form(max_length=20)] = "",
                source: Annotated[str, Form(max_length=200)] = "") -> Response:
    contact = _load(db, user, contact_id, Permission.CONTACTS_EDIT)
    try:
        consent.record_consent(db, contact=contact, purpose=purpose, channel=channel,
                               status=status, source=source.strip() or None, actor=user)
    except DomainError as exc:
        db.rollback()
        return _panel(request, db, user, contact, error=exc.message, status_code=exc.status)
    if not is_htmx(request):
        return RedirectResponse(f"/contacts/{contact.id}/privacy", status_code=303)
    return _panel(request, db, user, contact)


@router.get("/contacts/{contact_id}/export")
def export_contact(contact_id: uuid.UUID, db: DbSession, user: WebUser,
                   format: Annotated[Literal["json", "html"], Query()] = "html") -> Response:
    contact = _load(db, user, contact_id, Permission.CONTACTS_EXPORT)
    if not can_see_sensitive(user):
        raise Forbidden("A complete export includes sensitive fields, which you may not see")
    media, text = export.export_contact(db, contact=contact, fmt=format, actor=user)
    return Response(text, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="contact-{contact.id}.{format}"',
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


@router.post("/contacts/{contact_id}/erase", dependencies=[CsrfChecked])
def erase_contact(request: Request, contact_id: uuid.UUID, db: DbSession, user: WebUser,
                  confirm: Annotated[str, Form(max_length=64)] = "") -> Response:
    contact = _load(db, user, contact_id, Permission.CONTACTS_DELETE)
    if not user.is_admin:
        raise Forbidden("Only administrators may erase a person's data")
    try:
        erase.erase_contact(db, contact=contact, confirm=confirm, actor=user)
    except DomainError as exc:
        db.rollback()
        return _panel(request, db, user, contact, error=exc.message, status_code=exc.status)
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": "/contacts"})
    return RedirectResponse("/contacts", status_code=303)
