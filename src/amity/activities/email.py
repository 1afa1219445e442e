"""Email to contacts: templates (rendered in Jinja's sandbox), the send request, the message.

``send_contact_email`` checks the contact may receive it (an address, not do-not-contact,
consent for the purpose per ``may_contact``), renders the subject and body, and records an
outbound email interaction carrying the Message-ID; the caller queues the job that sends it.
``build_email`` makes the message the job sends: the recorded text with its links turned into
signed click redirects, an unsubscribe link, an HTML part with the open pixel, and the
``List-Unsubscribe`` headers (RFC 8058 one-click).
"""

from __future__ import annotations

import html
import uuid
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.activities import tracking
from amity.activities.interactions import record_interaction
from amity.activities.models import Interaction
from amity.activities.outreach_models import EmailTemplate
from amity.activities.schemas import InteractionCreate, ParticipantIn
from amity.auth.models import User
from amity.contacts.consent import may_contact
from amity.contacts.models import Contact
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed

# Long signed links in headers stay one token (not folded into encoded words).
_POLICY = policy.SMTP.clone(max_line_length=998)
_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
TEMPLATE_FIELDS = ("name", "subject", "body", "purpose")


def contact_variables(contact: Contact) -> dict[str, Any]:
    """What a template may use: plain values of the contact, nothing with methods."""
    return {"first_name": contact.first_name, "last_name": contact.last_name,
            "name": contact.display_name, "nickname": contact.nickname,
            "job_title": contact.job_title, "department": contact.department,
            "email": contact.primary_email, "language": contact.language}


def render(text: str, variables: dict[str, Any], field: str) -> str:
    """Render in the sandbox; anything it refuses or cannot parse is a 422 naming the field."""
    try:
        return _ENV.from_string(text).render(variables)
    except TemplateError as exc:  # SecurityError is a TemplateError
        raise ValidationFailed("email.template_invalid", f"The {field} cannot be rendered: "
                               f"{exc}", field) from exc
    except (TypeError, ValueError, ArithmeticError, AttributeError) as exc:
        raise ValidationFailed("email.template_invalid", f"The {field} cannot be rendered: "
                               f"{exc}", field) from exc


def _check_template(text: str, field: str) -> None:
    try:
        _ENV.parse(text)
    except TemplateError as exc:
        raise ValidationFailed("email.template_invalid", f"The {field} is not a valid "
                               f"template: {exc}", field) from exc


def _name_free(db: Session, name: str, but: uuid.UUID | None = None) -> None:
    q = select(EmailTemplate.id).where(EmailTemplate.name == name,
                                       EmailTemplate.deleted_at.is_(None))
    if but is not None:
        q = q.where(EmailTemplate.id != but)
    if db.scalar(q) is not None:
        raise Conflict("email_template.name_taken", "A template with this name exists")


def _snapshot(t: EmailTemplate) -> dict[str, Any]:
    return {k: getattr(t, k) for k in TEMPLATE_FIELDS}


def create_template(db: Session, *, values: dict[str, Any], actor: User) -> EmailTemplate:
    _check_template(values["subject"], "subject")
    _check_template(values["body"], "body")
    _name_free(db, values["name"])
    t = EmailTemplate(id=uuid.uuid4(), **values)
    db.add(t)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="email_template",
                 entity_id=t.id, changes=audit.diff({}, _snapshot(t)))
    return t


def update_template(db: Session, *, template: EmailTemplate, values: dict[str, Any],
                    actor: User, expected_version: int | None = None) -> EmailTemplate:
    if expected_version is not None and expected_version != template.version:
        raise PreconditionFailed()
    for key in ("subject", "body"):
        if key in values:
            _check_template(values[key], key)
    if "name" in values:
        _name_free(db, values["name"], but=template.id)
    before = _snapshot(template)
    for key, value in values.items():
        setattr(template, key, value)
    changes = audit.diff(before, _snapshot(template))
    if changes:
        template.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="email_template",
                     entity_id=template.id, changes=changes)
    return template


def delete_template(db: Session, *, template: EmailTemplate, actor: User) -> None:
    template.deleted_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="delete", entity_type="email_template",
                 entity_id=template.id)


def live_template(db: Session, template_id: uuid.UUID) -> EmailTemplate:
    t = db.get(EmailTemplate, template_id)
    if t is None or t.deleted_at is not None:
        raise NotFound("email_template")
    return t


def list_templates(db: Session) -> list[EmailTemplate]:
    return list(db.scalars(select(EmailTemplate).where(EmailTemplate.deleted_at.is_(None))
                           .order_by(EmailTemplate.name).limit(500)))


def send_contact_email(db: Session, *, contact: Contact, actor: User, sender: str,
                       subject: str | None = None, body: str | None = None,
                       template_id: uuid.UUID | None = None,
                       variables: dict[str, Any] | None = None,
                       purpose: str = "marketing") -> tuple[Interaction, str]:
    """Record the outbound email (its Message-ID included); refused, with nothing recorded,
    when the contact may not receive it. Returns it and its purpose (the template's, when
    one is used); the caller queues the sending job."""
    if template_id is not None:
        template = db.get(EmailTemplate, template_id)
        if template is None or template.deleted_at is not None:
            raise ValidationFailed("email_template.not_found", "No such template",
                                   "template_id")
        subject, body, purpose = template.subject, template.body, template.purpose
    if subject is None or body is None:
        raise ValidationFailed("email.content_required", "Give subject and body, or a "
                               "template_id", "subject")
    to = contact.primary_email
    if not to:
        raise ValidationFailed("email.no_address", "This contact has no email address",
                               "contact_id")
    if contact.do_not_contact:
        raise ValidationFailed("email.do_not_contact", "This contact is marked do-not-contact",
                               "contact_id")
    if not may_contact(db, contact, purpose, "email"):
        raise ValidationFailed("email.no_consent", f"This contact has not consented to "
                               f"{purpose} email", "purpose")
    values = {**contact_variables(contact), **(variables or {})}
    rendered_subject = render(subject, values, "subject").strip()
    rendered_body = render(body, values, "body")
    if not rendered_subject or any(ch in rendered_subject for ch in "\r\n"):
        raise ValidationFailed("email.subject_invalid", "The subject must be one non-empty "
                               "line", "subject")
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    data = InteractionCreate(
        channel="email", direction="outbound", subject=rendered_subject[:998],
        body=rendered_body, message_id=make_msgid(domain=domain),
        participants=[ParticipantIn(contact_id=contact.id, role="to"),
                      ParticipantIn(user_id=actor.id, role="from")])
    interaction, _ = record_interaction(db, data=data, actor=actor)
    return interaction, purpose


def recipient(db: Session, interaction: Interaction, contact_id: uuid.UUID,
              purpose: str) -> tuple[Contact, str] | None:
    """Whom the queued email goes to, if they still may receive it (asked again at sending)."""
    contact = db.get(Contact, contact_id)
    if contact is None or interaction.deleted_at is not None:
        return None
    to = contact.primary_email
    if not to or not may_contact(db, contact, purpose, "email"):
        return None
    return contact, to


def build_email(*, interaction: Interaction, contact_id: uuid.UUID, to: str, sender: str,
                base_url: str, secret: str) -> EmailMessage:
    base = base_url.rstrip("/")
    iid = interaction.id
    unsub = f"{base}/u/{tracking.sign(secret, tracking.UNSUBSCRIBE, iid, contact_id)}"
    pixel = f"{base}/t/o/{tracking.sign(secret, tracking.OPEN, iid, contact_id)}.gif"
    text = tracking.tracked_links(interaction.body or "", base, secret, iid, contact_id)
    text = f"{text.rstrip()}\n\n--\nUnsubscribe: {unsub}\n"
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = interaction.subject or ""
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = interaction.message_id
    msg["List-Unsubscribe"] = f"<{unsub}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    html_body = html.escape(text).replace("\n", "<br>\n")
    msg.add_alternative(f"<!doctype html><html><body>{html_body}"
                        f'<img src="{html.escape(pixel)}" width="1" height="1" alt="">'
                        "</body></html>", subtype="html")
    return msg
