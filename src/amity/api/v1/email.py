"""Email to a contact (``POST /contacts/{id}/emails``: recorded now, sent by a job) and the
email templates (``/email-templates``, managed with settings.edit)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from amity.activities import email
from amity.activities.outreach_models import EmailTemplate
from amity.activities.outreach_schemas import (
    EmailSend,
    TemplateCreate,
    TemplateRead,
    TemplateUpdate,
)
from amity.activities.schemas import InteractionRead
from amity.api.deps import (
    AppSettings,
    CurrentUser,
    DbSession,
    IdempotencyKey,
    IfMatch,
    etag,
    parse_if_match,
)
from amity.api.idempotency import idempotent
from amity.auth.access import Permission, access_record, require
from amity.contacts.models import Contact
from amity.jobs import outreach

router = APIRouter(tags=["email"])


@router.post("/contacts/{contact_id}/emails", status_code=202, response_model=InteractionRead,
             summary="Send an email to a contact",
             description="Refused (422, nothing sent) without an address, for a do-not-contact "
                         "person, or without consent for the purpose. The email is recorded "
                         "as an outbound email interaction and sent by a background job.")
def send_email(contact_id: uuid.UUID, body: EmailSend, db: DbSession, user: CurrentUser,
               settings: AppSettings, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    contact = access_record(db, user, Contact, contact_id, Permission.CONTACTS_EDIT,
                            entity="contact")

    def send() -> object:
        i, purpose = email.send_contact_email(
            db, contact=contact, actor=user, sender=settings.smtp_from, subject=body.subject,
            body=body.body, template_id=body.template_id, variables=dict(body.variables),
            purpose=body.purpose)
        outreach.enqueue_email(db, interaction=i, contact_id=contact.id, purpose=purpose)
        return i

    return idempotent(db, user, idempotency_key, f"/contacts/{contact_id}/emails", body, send,
                      InteractionRead, status=202)


@router.get("/email-templates", response_model=list[TemplateRead], summary="Email templates")
def list_templates(db: DbSession, user: CurrentUser) -> list[EmailTemplate]:
    require(user, Permission.CONTACTS_VIEW)
    return email.list_templates(db)


@router.post("/email-templates", status_code=201, response_model=TemplateRead)
def create_template(body: TemplateCreate, db: DbSession, user: CurrentUser,
                    idempotency_key: IdempotencyKey = None) -> JSONResponse:
    require(user, Permission.SETTINGS_MANAGE)
    return idempotent(db, user, idempotency_key, "/email-templates", body,
                      lambda: email.create_template(db, values=body.model_dump(), actor=user),
                      TemplateRead)


@router.get("/email-templates/{template_id}", response_model=TemplateRead)
def get_template(template_id: uuid.UUID, response: Response, db: DbSession,
                 user: CurrentUser) -> EmailTemplate:
    require(user, Permission.CONTACTS_VIEW)
    t = email.live_template(db, template_id)
    response.headers["ETag"] = etag(t.version)
    return t


@router.patch("/email-templates/{template_id}", response_model=TemplateRead)
def update_template(template_id: uuid.UUID, body: TemplateUpdate, response: Response,
                    db: DbSession, user: CurrentUser, if_match: IfMatch = None) -> EmailTemplate:
    require(user, Permission.SETTINGS_MANAGE)
    t = email.live_template(db, template_id)
    version = body.version if body.version is not None else parse_if_match(if_match)
    values = body.model_dump(exclude_unset=True, exclude={"version"})
    for key in ("name", "subject", "body", "purpose"):
        if key in values and values[key] is None:
            values.pop(key)
    t = email.update_template(db, template=t, values=values, actor=user,
                              expected_version=version)
    response.headers["ETag"] = etag(t.version)
    return t


@router.delete("/email-templates/{template_id}", status_code=204)
def delete_template(template_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    email.delete_template(db, template=email.live_template(db, template_id), actor=user)
    return Response(status_code=204)
