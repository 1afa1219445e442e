"""Quick-add on the contact page (log a call, a meeting or an email; send an email from a
template; add a task) and the calendar panel of the account page (feed URL, .ics import).

Each quick-add form posts with HTMX: the answer is the new timeline entry (prepended) plus a
fresh copy of the form swapped out of band; a refusal is the form again, with the message and
what was typed, and nothing written.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from amity.activities import calendar, email, service
from amity.activities.interactions import record_interaction
from amity.activities.models import TASK_PRIORITIES
from amity.activities.outreach_schemas import EmailSend
from amity.activities.schemas import InteractionCreate, ParticipantIn, TimelineItem
from amity.activities.visibility import may_write_something
from amity.api.deps import AppSettings, DbSession
from amity.auth.access import Permission, access_record, scoped
from amity.auth.models import User
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.core.errors import DomainError, Forbidden, ValidationFailed
from amity.jobs import outreach
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.routes.agenda import parse_due
from amity.web.templating import is_htmx, render, templates

router = APIRouter(route_class=WebRoute)
MAX_ICS_BYTES = 1_000_000
OUTCOME_LABELS = {"connected": "Connected", "no_answer": "No answer", "voicemail": "Voicemail",
                  "busy": "Busy", "wrong_number": "Wrong number", "failed": "Failed"}
KINDS = {"call": "activities/_call_form.html", "meeting": "activities/_meeting_form.html",
         "email": "activities/_email_form.html", "send": "activities/_send_email_form.html",
         "task": "activities/_task_form.html"}
templates.env.globals.update(outcome_labels=OUTCOME_LABELS, task_priorities=TASK_PRIORITIES)
F = Annotated[str, Form(max_length=998)]
Long = Annotated[str, Form(max_length=100_000)]


def _contact(db: DbSession, user: User, contact_id: uuid.UUID) -> Contact:
    return access_record(db, user, Contact, contact_id, Permission.CONTACTS_EDIT,
                         entity="contact")


def _form_ctx(db: DbSession, kind: str, contact_id: uuid.UUID, f: dict[str, str],
              error: str | None = None, field: str | None = None) -> dict[str, Any]:
    ctx: dict[str, Any] = {"cid": contact_id, "f": f, "error": error, "error_field": field,
                           "outcomes": OUTCOME_LABELS, "priorities": TASK_PRIORITIES}
    if kind == "send":
        ctx["email_templates"] = email.list_templates(db)
    return ctx


def _refused(request: Request, db: DbSession, kind: str, contact: Contact, f: dict[str, str],
             exc: ValidationError | DomainError) -> Response:
    db.rollback()  # the page is answered, not raised: nothing may be written
    if isinstance(exc, DomainError):
        message, field = exc.message, exc.field
    else:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else None
        message = f"{field or 'Input'}: {first['msg']}" if field else str(first["msg"])
    ctx = _form_ctx(db, kind, contact.id, f, message, field)
    if is_htmx(request):
        return render(request, KINDS[kind], ctx, status_code=422,
                      headers={"HX-Retarget": f"#quick-{kind}", "HX-Reswap": "outerHTML"})
    return render(request, "activities/quick_add_page.html",
                  {**ctx, "kind": kind, "form_template": KINDS[kind], "contact": contact},
                  status_code=422)


def _added(request: Request, db: DbSession, user: User, kind: str, contact: Contact,
           item: TimelineItem, status_code: int = 200) -> Response:
    if not is_htmx(request):
        return RedirectResponse(f"/contacts/{contact.id}#timeline", status_code=303)
    return render(request, "activities/_added.html",
                  {"item": item, "actor": user, "form_template": KINDS[kind],
                   **_form_ctx(db, kind, contact.id, {})}, status_code=status_code)


def _minutes(raw: str, field: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > 24 * 60:
        raise ValidationFailed("interaction.duration", "Minutes: a whole number up to 1440",
                               field)
    return int(raw) * 60


def _record(db: DbSession, user: User, contact: Contact, **fields: Any) -> TimelineItem:
    direction = fields.get("direction", "outbound")
    inbound = direction == "inbound"
    fields["participants"] = [
        ParticipantIn(contact_id=contact.id, role="from" if inbound else (
            "attendee" if fields["channel"] == "meeting" else "to")),
        ParticipantIn(user_id=user.id, role="organiser" if fields["channel"] == "meeting"
                      else ("to" if inbound else "from"))]
    data = InteractionCreate.model_validate({k: v for k, v in fields.items() if v is not None}
                                            | {"participants": fields["participants"]})
    i, _ = record_interaction(db, data=data, actor=user)
    return TimelineItem(kind="interaction", id=i.id, occurred_at=i.occurred_at,
                        title=i.subject or "", body=i.body, author_id=user.id,
                        channel=i.channel, direction=i.direction, status=i.outcome)


@router.post("/contacts/{contact_id}/calls", dependencies=[CsrfChecked])
def log_call(request: Request, contact_id: uuid.UUID, db: DbSession, user: WebUser,
             direction: F = "outbound", outcome: F = "connected", minutes: F = "",
             when: F = "", notes: Long = "") -> Response:
    contact = _contact(db, user, contact_id)
    f = {"direction": direction, "outcome": outcome, "minutes": minutes, "when": when,
         "notes": notes}
    try:
        item = _record(db, user, contact, channel="call", direction=direction,
                       outcome=outcome or None, duration_s=_minutes(minutes, "minutes"),
                       occurred_at=parse_due(when, user.time_zone) or now(),
                       body=notes.strip() or None)
    except (ValidationError, DomainError) as exc:
        return _refused(request, db, "call", contact, f, exc)
    return _added(request, db, user, "call", contact, item)


@router.post("/contacts/{contact_id}/meetings", dependencies=[CsrfChecked])
def log_meeting(request: Request, contact_id: uuid.UUID, db: DbSession, user: WebUser,
                subject: F = "", when: F = "", minutes: F = "60", location: F = "",
                notes: Long = "") -> Response:
    contact = _contact(db, user, contact_id)
    f = {"subject": subject, "when": when, "minutes": minutes, "location": location,
         "notes": notes}
    try:
        start = parse_due(when, user.time_zone) or now()
        length = _minutes(minutes, "minutes")
        item = _record(db, user, contact, channel="meeting", direction="outbound",
                       subject=subject.strip() or "Meeting", occurred_at=start,
                       duration_s=length,
                       ends_at=start + timedelta(seconds=length) if length else None,
                       location=location.strip() or None, body=notes.strip() or None)
    except (ValidationError, DomainError) as exc:
        return _refused(request, db, "meeting", contact, f, exc)
    return _added(request, db, user, "meeting", contact, item)


@router.post("/contacts/{contact_id}/logged-emails", dependencies=[CsrfChecked])
def log_email(request: Request, contact_id: uuid.UUID, db: DbSession, user: WebUser,
              direction: F = "outbound", subject: F = "", when: F = "",
              body: Long = "") -> Response:
    """An email written elsewhere, recorded (nothing is sent)."""
    contact = _contact(db, user, contact_id)
    f = {"direction": direction, "subject": subject, "when": when, "body": body}
    try:
        if not subject.strip() and not body.strip():
            raise ValidationFailed("email.content_required", "Give a subject or the text",
                                   "subject")
        item = _record(db, user, contact, channel="email", direction=direction,
                       subject=subject.strip() or None, body=body.strip() or None,
                       occurred_at=parse_due(when, user.time_zone) or now())
    except (ValidationError, DomainError) as exc:
        return _refused(request, db, "email", contact, f, exc)
    return _added(request, db, user, "email", contact, item)


@router.get("/contacts/{contact_id}/send-email")
def send_email_form(request: Request, contact_id: uuid.UUID, db: DbSession,
                    user: WebUser) -> Response:
    contact = _contact(db, user, contact_id)
    return render(request, KINDS["send"], _form_ctx(db, "send", contact.id, {}))


@router.post("/contacts/{contact_id}/send-email", dependencies=[CsrfChecked])
def send_email(request: Request, contact_id: uuid.UUID, db: DbSession, user: WebUser,
               settings: AppSettings, template_id: F = "", subject: F = "", body: Long = "",
               purpose: F = "marketing") -> Response:
    """Sends like ``POST /api/v1/contacts/{id}/emails``: recorded now, mailed by a job;
    consent and do-not-contact refusals are shown by the form."""
    contact = _contact(db, user, contact_id)
    f = {"template_id": template_id, "subject": subject, "body": body, "purpose": purpose}
    try:
        data = EmailSend.model_validate(
            {"template_id": template_id or None, "purpose": purpose}
            | ({} if template_id else {"subject": subject or None, "body": body or None}))
        i, used = email.send_contact_email(
            db, contact=contact, actor=user, sender=settings.smtp_from, subject=data.subject,
            body=data.body, template_id=data.template_id, purpose=data.purpose)
        outreach.enqueue_email(db, interaction=i, contact_id=contact.id, purpose=used)
    except (ValidationError, DomainError) as exc:
        return _refused(request, db, "send", contact, f, exc)
    item = TimelineItem(kind="interaction", id=i.id, occurred_at=i.occurred_at,
                        title=i.subject or "", body=i.body, author_id=user.id,
                        channel="email", direction="outbound", status="queued")
    return _added(request, db, user, "send", contact, item, status_code=202)


@router.post("/contacts/{contact_id}/tasks", dependencies=[CsrfChecked])
def add_task(request: Request, contact_id: uuid.UUID, db: DbSession, user: WebUser,
             settings: AppSettings, title: Annotated[str, Form(max_length=300)] = "",
             due: F = "", priority: F = "normal") -> Response:
    contact = _contact(db, user, contact_id)
    f = {"title": title, "due": due, "priority": priority}
    try:
        if not title.strip():
            raise ValidationFailed("task.title_required", "Give the task a title", "title")
        task = service.create_task(
            db, title=title, actor=user, due_at=parse_due(due, user.time_zone),
            priority=priority, contact_id=contact.id,
            reminder_lead=timedelta(minutes=settings.task_reminder_lead_minutes))
    except (ValidationError, DomainError) as exc:
        return _refused(request, db, "task", contact, f, exc)
    item = TimelineItem(kind="task", id=task.id, occurred_at=task.created_at,
                        title=task.title, author_id=user.id, status=task.status)
    return _added(request, db, user, "task", contact, item)


def _calendar(request: Request, db: DbSession, user: User, *, url: str | None = None,
              notice: str | None = None, error: str | None = None,
              status_code: int = 200) -> Response:
    ctx = {"feed": calendar.feed_of(db, user=user), "url": url, "notice": notice,
           "error": error, "can_import": may_write_something(user)}
    name = "activities/_calendar_panel.html" if is_htmx(request) else \
        "activities/calendar_page.html"
    return render(request, name, ctx, status_code=status_code)


@router.get("/account/calendar")
def calendar_panel(request: Request, db: DbSession, user: WebUser) -> Response:
    return _calendar(request, db, user)


@router.post("/account/calendar/feed", dependencies=[CsrfChecked])
def new_feed(request: Request, db: DbSession, user: WebUser,
             settings: AppSettings) -> Response:
    """A new secret URL (the old one stops working); shown this once."""
    _, token = calendar.create_feed(db, user=user)
    return _calendar(request, db, user,
                     url=f"{settings.base_url.rstrip('/')}/calendar/{token}.ics")


@router.post("/account/calendar/feed/delete", dependencies=[CsrfChecked])
def drop_feed(request: Request, db: DbSession, user: WebUser) -> Response:
    calendar.delete_feed(db, user=user)
    return _calendar(request, db, user, notice="Your calendar address was turned off.")


@router.post("/account/calendar/import", dependencies=[CsrfChecked])
def import_ics(request: Request, db: DbSession, user: WebUser,
               file: Annotated[UploadFile | None, File()] = None) -> Response:
    if not may_write_something(user):
        raise Forbidden("Read-only users cannot import meetings")
    try:
        raw = file.file.read(MAX_ICS_BYTES + 1) if file is not None else b""
        if not raw.strip():
            raise ValidationFailed("ics.invalid", "Choose an .ics file to import", "file")
        if len(raw) > MAX_ICS_BYTES:
            raise ValidationFailed("ics.too_large", "An invitation is at most 1 MB", "file")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationFailed("ics.encoding", "The file must be UTF-8 text",
                                   "file") from exc
        created, existing = calendar.import_ics(
            db, text=text, actor=user, visible_contacts=lambda stmt: scoped(
                db, stmt, user, Contact, Permission.CONTACTS_VIEW))
    except DomainError as exc:
        db.rollback()
        return _calendar(request, db, user, error=exc.message, status_code=422)
    notice = (f"Imported {len(created)} meeting{'s' if len(created) != 1 else ''}"
              + (f"; {len(existing)} already known." if existing else "."))
    return _calendar(request, db, user, notice=notice)
