"""A web-to-lead form submitted: checked, then turned into a contact, consent, an interaction,
a stored submission and a ``form.submitted`` event, all in the request's transaction.

The contact is found by email, else by phone, else created with the form's lifecycle stage,
source, tags and owner. A contact found is only *completed*: a field it has already is never
overwritten; the differing value is kept in the submission's ``conflicts``. Every answer is
stored as sent in the submission, so nothing a person typed is lost. A refused submission
(invalid, spam, too fast, over a rate) stores nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from amity.activities import forms
from amity.activities.forms_models import Form, FormSubmission
from amity.activities.interactions import record_interaction
from amity.activities.outreach_models import WebEvent, WebVisitor
from amity.activities.schemas import InteractionCreate, ParticipantIn
from amity.auth.models import User
from amity.companies.models import Company
from amity.companies.schemas import CompanyCreate
from amity.companies.service import create_company
from amity.contacts.consent import record_consent
from amity.contacts.models import Contact, ContactPhone
from amity.contacts.schemas import ContactCreate, ContactUpdate
from amity.contacts.service import contacts_by_email, create_contact, update_contact
from amity.core import audit
from amity.core.clock import now
from amity.core.contactinfo import normalise_email, normalise_phone
from amity.core.errors import Conflict, DomainError, ValidationFailed
from amity.core.events import DomainEvent, publish
from amity.core.text import fold

HONEYPOT = "website"  # hidden on the page; people leave it empty, form-filling bots do not
TRUE = {"on", "true", "1", "yes", "y"}
MAX_TEXT = {"textarea": 10_000}
CONTACT_SCALARS = ("first_name", "last_name", "job_title")


@dataclass(frozen=True)
class FormSubmitted(DomainEvent):
    type = "form.submitted"
    submission_id: uuid.UUID
    form_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    contact_created: bool = False


class SpamRefused(DomainError):
    status = 422

    def __init__(self) -> None:
        super().__init__("form.refused", "This submission was not accepted")


@dataclass(frozen=True)
class Submitted:
    submission: FormSubmission
    new: bool


@dataclass
class Answers:
    values: dict[str, Any]  # raw, as sent, for the form's own names only
    clean: dict[str, Any]  # validated: field name -> value
    consents: list[dict[str, Any]]  # the checkboxes ticked


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = value[-1] if value else ""
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    return str(value).strip()


def _err(errors: list[dict[str, str]], field: str, message: str, kind: str) -> None:
    errors.append({"field": field, "message": message, "type": kind})


def _field_value(f: dict[str, Any], raw: str, region: str) -> Any:
    kind = f.get("type", "text")
    if f["maps_to"] == "email" or kind == "email":
        return normalise_email(raw, f["maps_to"])
    if f["maps_to"] == "phone" or kind == "tel":
        return normalise_phone(raw, region, f["maps_to"])
    if kind == "number":
        try:
            return float(raw) if "." in raw or "e" in raw.lower() else int(raw)
        except ValueError as exc:
            raise ValidationFailed("form.number", "Enter a number") from exc
    if kind == "date":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError as exc:
            raise ValidationFailed("form.date", "Enter a date as YYYY-MM-DD") from exc
    if kind == "checkbox":
        return raw.lower() in TRUE
    if kind == "select" and raw not in f.get("options", []):
        raise ValidationFailed("form.choice", "Choose one of the options")
    limit = MAX_TEXT.get(kind, 1000 if f["maps_to"] == "message" else 200)
    if f["maps_to"] == "message":
        limit = 10_000
    if len(raw) > limit:
        raise ValidationFailed("form.too_long", f"At most {limit} characters")
    return raw


def field_name(f: dict[str, Any]) -> str:
    return f"custom.{f['custom_field']}" if f["maps_to"] == "custom" else str(f["maps_to"])


def read_answers(form: Form, data: dict[str, Any], region: str) -> Answers:
    """The answers checked against the form; 422 naming every field to fix."""
    errors: list[dict[str, str]] = []
    values: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    for f in form.fields:
        name = field_name(f)
        raw = _text(data.get(name))
        if name in data:
            values[name] = raw
        if not raw or (f.get("type") == "checkbox" and raw.lower() not in TRUE):
            if f.get("required"):
                _err(errors, name, "This field is required", "required")
            continue
        try:
            clean[name] = _field_value(f, raw, region)
        except ValidationFailed as exc:
            _err(errors, name, exc.message.split(":")[0], exc.code)
    ticked = []
    for c in form.consents:
        given = _text(data.get(c["key"])).lower() in TRUE
        values[c["key"]] = given
        if given:
            ticked.append(c)
        elif c.get("required"):
            _err(errors, c["key"], "Please tick this box to continue", "required")
    if not errors and "email" not in clean and "phone" not in clean:
        named = next((field_name(f) for f in form.fields if f["maps_to"] in ("email", "phone")),
                     None)
        _err(errors, named or "email", "Give your email address or phone number", "required")
    if errors:
        raise ValidationFailed("form.invalid", "Some answers need to be fixed: "
                               + "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                               errors[0]["field"], errors=errors)
    return Answers(values, clean, ticked)


def record_actor(db: Session, user_id: uuid.UUID | None) -> User:
    """Who public writes are recorded as in the audit log: the form's (or channel's) creator
    while active, else the longest-serving active administrator."""
    user = db.get(User, user_id) if user_id else None
    if user is not None and user.is_active:
        return user
    admin = db.scalar(select(User).where(User.is_admin.is_(True), User.is_active.is_(True))
                      .order_by(User.created_at, User.id).limit(1))
    if admin is None:
        raise Conflict("form.no_actor", "No active administrator to record this under")
    return admin


def find_contact(db: Session, email: str | None, phone: str | None) -> Contact | None:
    """By email, else by phone; the oldest live contact when several match."""
    found: list[Contact] = contacts_by_email(db, email) if email else []
    if not found and phone:
        found = list(db.scalars(select(Contact).join(ContactPhone)
                                .where(ContactPhone.e164 == phone,
                                       Contact.deleted_at.is_(None))))
    found = [c for c in found if c.erased_at is None]
    return min(found, key=lambda c: (c.created_at, str(c.id))) if found else None


def _company(db: Session, name: str, actor: User) -> uuid.UUID:
    known = db.scalar(select(Company.id).where(Company.sort_name == fold(name),
                                               Company.deleted_at.is_(None))
                      .order_by(Company.created_at).limit(1))
    if known is not None:
        return known
    return create_company(db, data=CompanyCreate(name=name[:300]), actor=actor).id


def _custom(clean: dict[str, Any]) -> dict[str, Any]:
    return {k.removeprefix("custom."): v for k, v in clean.items() if k.startswith("custom.")}


def _new_contact(db: Session, form: Form, a: Answers, actor: User, region: str) -> Contact:
    c = a.clean
    data: dict[str, Any] = {k: c[k] for k in CONTACT_SCALARS if k in c}
    if "email" in c:
        data["emails"] = [{"email": c["email"], "primary": True}]
    if "phone" in c:
        data["phones"] = [{"number": c["phone"], "primary": True}]
    if "company_name" in c:
        data["company_id"] = _company(db, c["company_name"], actor)
    if _custom(c):
        data["custom_fields"] = _custom(c)
    data.update({"lifecycle_stage": form.lifecycle_stage or "lead",
                 "source": form.source or f"form: {form.name}"[:120],
                 "tags": list(form.tags or []), "owner_id": form.owner_id or actor.id})
    return create_contact(db, data=ContactCreate.model_validate(data), actor=actor,
                          region=region)


def _complete(db: Session, contact: Contact, a: Answers, actor: User,
              region: str) -> dict[str, Any]:
    """Fill the contact's empty fields; the conflicting answers, by field."""
    c = a.clean
    data: dict[str, Any] = {}
    conflicts: dict[str, Any] = {}

    def offer(name: str, current: Any, value: Any, key: str, new: Any) -> None:
        if current in (None, "", []):
            data[key] = new
        elif str(current).lower() != str(value).lower():
            conflicts[name] = {"existing": current, "submitted": value}

    for k in CONTACT_SCALARS:
        if k in c:
            offer(k, getattr(contact, k), c[k], k, c[k])
    if "email" in c:
        emails = [e.email for e in contact.emails]
        if c["email"] not in emails:
            offer("email", emails, c["email"], "emails", [{"email": c["email"], "primary": True}])
    if "phone" in c:
        phones = [p.e164 for p in contact.phones]
        if c["phone"] not in phones:
            offer("phone", phones, c["phone"], "phones", [{"number": c["phone"],
                                                           "primary": True}])
    if "company_name" in c:
        current = contact.company.name if contact.company else None
        if current is None:
            data["company_id"] = _company(db, c["company_name"], actor)
        elif fold(current) != fold(c["company_name"]):
            conflicts["company_name"] = {"existing": current, "submitted": c["company_name"]}
    custom: dict[str, Any] = {}
    for key, value in _custom(c).items():
        current = (contact.custom_fields or {}).get(key)
        if current in (None, "", []):
            custom[key] = value
        elif current != value:
            conflicts[f"custom.{key}"] = {"existing": current, "submitted": value}
    if custom:
        data["custom_fields"] = custom
    if data:
        update_contact(db, contact=contact, data=ContactUpdate.model_validate(data),
                       actor=actor, region=region)
    return conflicts


def _body(form: Form, a: Answers) -> str:
    labels = {field_name(f): f["label"] for f in form.fields}
    lines = [f"{labels[k]}: {v}" for k, v in a.values.items() if k in labels and v != ""]
    lines += [f"Consent ({c['purpose']}, {c['channel']}): {c['text']}" for c in a.consents]
    return "\n".join(lines)


def link_visitor(db: Session, *, site_id: uuid.UUID, visitor_key: str, contact_id: uuid.UUID,
                 url: str | None) -> None:
    """The visitor becomes the contact, and so do its past events (as web events'
    identification does); the submission is a ``form_submit`` event of the visitor."""
    at = now()
    visitor = db.scalar(select(WebVisitor).where(WebVisitor.site_id == site_id,
                                                 WebVisitor.visitor_key == visitor_key))
    if visitor is None:
        db.add(WebVisitor(id=uuid.uuid4(), site_id=site_id, visitor_key=visitor_key,
                          contact_id=contact_id, first_seen_at=at))
    else:
        visitor.contact_id = contact_id
    db.execute(update(WebEvent).where(WebEvent.site_id == site_id,
                                      WebEvent.visitor_key == visitor_key)
               .values(contact_id=contact_id).execution_options(synchronize_session=False))
    db.add(WebEvent(id=uuid.uuid4(), type="form_submit", site_id=site_id,
                    visitor_key=visitor_key, contact_id=contact_id, url=url,
                    occurred_at=at, received_at=at))


def submit_form(db: Session, *, form: Form, data: dict[str, Any], secret: str, region: str,
                client_id: str | None = None, visitor_key: str | None = None,
                ip: str | None = None, user_agent: str | None = None,
                page_url: str | None = None) -> Submitted:
    """Store one submission (see the module doc); the same ``client_id`` again returns the
    first submission unchanged."""
    if client_id:
        seen = db.scalar(select(FormSubmission).where(FormSubmission.form_id == form.id,
                                                      FormSubmission.client_id == client_id))
        if seen is not None:
            return Submitted(seen, False)
    if _text(data.get(HONEYPOT)):
        raise SpamRefused()
    problem = forms.check_fill_token(secret, form, _text(data.get("_ts")) or None)
    if problem is not None:
        raise ValidationFailed("form.too_fast" if problem.startswith("That was quick")
                               else "form.token", problem, "_ts")
    forms.take_rate(db, form=form, ip=ip)
    answers = read_answers(form, data, region)
    actor = record_actor(db, form.created_by_id)
    contact = find_contact(db, answers.clean.get("email"), answers.clean.get("phone"))
    created = contact is None
    try:
        if contact is None:
            contact = _new_contact(db, form, answers, actor, region)
            conflicts: dict[str, Any] = {}
        else:
            conflicts = _complete(db, contact, answers, actor, region)
    except ValidationFailed as exc:  # e.g. a required contact custom field the form lacks
        raise ValidationFailed(exc.code, exc.message, exc.field,
                               errors=[{"field": exc.field or "", "message": exc.message,
                                        "type": exc.code}]) from exc
    for c in answers.consents:
        record_consent(db, contact=contact, purpose=c["purpose"], channel=c["channel"],
                       status="given", actor=None, source="form", note=c["text"])
    sub = FormSubmission(id=uuid.uuid4(), form_id=form.id, client_id=client_id,
                         contact_id=contact.id, contact_created=created,
                         visitor_key=visitor_key, values=answers.values, conflicts=conflicts,
                         consents=[{k: c[k] for k in ("key", "purpose", "channel", "text")}
                                   for c in answers.consents],
                         ip=ip, user_agent=(user_agent or "")[:500] or None, created_at=now())
    # "form" is a channel only Amity itself records: the API's Channel does not accept it
    interaction, _ = record_interaction(db, actor=actor, data=InteractionCreate.model_construct(
        channel="form",  # type: ignore[arg-type]
        direction="inbound", subject=f"Form: {form.name}"[:998],
        body=_body(form, answers), external_source=f"form:{form.id}", external_id=str(sub.id),
        participants=[ParticipantIn(contact_id=contact.id, role="from")]))
    sub.interaction_id = interaction.id
    db.add(sub)
    if visitor_key and form.site_id is not None:
        link_visitor(db, site_id=form.site_id, visitor_key=visitor_key, contact_id=contact.id,
                     url=page_url)
    db.flush()
    audit.record(db, actor_id=None, action="submit", entity_type="form", entity_id=form.id,
                 changes={"submission_id": [None, str(sub.id)],
                          "contact_id": [None, str(contact.id)],
                          "contact_created": [None, created]})
    publish(db, FormSubmitted(submission_id=sub.id, form_id=form.id, contact_id=contact.id,
                              contact_created=created))
    return Submitted(sub, True)
