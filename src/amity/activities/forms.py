"""Web-to-lead forms: defining them (audited), the signed fill-time token their pages carry,
and the per-key rate limit counted in the database.

The public side (``form_submit``) turns a submission into a contact, consent, an interaction
and a ``form.submitted`` event.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from amity.activities.forms_models import Form, FormSubmission
from amity.activities.outreach_models import WebSite
from amity.auth.models import User
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import DomainError, NotFound, PreconditionFailed, ValidationFailed
from amity.core.pagination import Page, Sort, keyset, page_of

FORM_FIELDS = ("name", "title", "description", "submit_label", "fields", "consents",
               "site_id", "lifecycle_stage", "source", "tags", "owner_id", "success_message",
               "redirect_url", "enabled", "min_fill_seconds", "rate_limit_per_minute",
               "per_ip_per_hour")
FILL_SALT = "amity.form.fill"
TOKEN_MAX_AGE = timedelta(days=2)
WINDOW = timedelta(minutes=1)
IP_WINDOW = timedelta(hours=1)
DEFAULT_SUCCESS = "Thank you, we received your message."


class FormRateLimited(DomainError):
    status = 429

    def __init__(self, retry_after: int, message: str) -> None:
        super().__init__("form.rate_limited", message, retry_after=retry_after)
        self.retry_after = retry_after


def _snapshot(form: Form) -> dict[str, Any]:
    return {k: getattr(form, k) for k in FORM_FIELDS}


def _check_refs(db: Session, values: dict[str, Any]) -> None:
    site_id = values.get("site_id")
    if site_id is not None:
        site = db.get(WebSite, site_id)
        if site is None or site.deleted_at is not None:
            raise ValidationFailed("site.not_found", "No such site", "site_id")
    owner_id = values.get("owner_id")
    if owner_id is not None:
        owner = db.get(User, owner_id)
        if owner is None or not owner.is_active:
            raise ValidationFailed("user.not_found", "No such active user", "owner_id")


def create_form(db: Session, *, values: dict[str, Any], actor: User) -> Form:
    _check_refs(db, values)
    values = {k: v for k, v in values.items() if v is not None}
    form = Form(id=uuid.uuid4(), public_key=secrets.token_urlsafe(12), created_by_id=actor.id,
                **values)
    db.add(form)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="form", entity_id=form.id,
                 changes=audit.diff({}, _snapshot(form)))
    return form


def update_form(db: Session, *, form: Form, values: dict[str, Any], actor: User,
                expected_version: int | None = None) -> Form:
    """Change the fields sent (null clears an optional setting)."""
    if expected_version is not None and expected_version != form.version:
        raise PreconditionFailed()
    _check_refs(db, values)
    before = _snapshot(form)
    for key, value in values.items():
        if value is None and key in ("name", "fields", "consents", "enabled", "submit_label",
                                     "min_fill_seconds", "rate_limit_per_minute",
                                     "per_ip_per_hour", "tags"):
            continue  # these always have a value
        setattr(form, key, value)
    changes = audit.diff(before, _snapshot(form))
    if changes:
        form.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="form",
                     entity_id=form.id, changes=changes)
    return form


def delete_form(db: Session, *, form: Form, actor: User) -> None:
    """The hosted page stops answering at once; submissions stay."""
    form.deleted_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="delete", entity_type="form", entity_id=form.id)


def live_form(db: Session, form_id: uuid.UUID) -> Form:
    form = db.get(Form, form_id)
    if form is None or form.deleted_at is not None:
        raise NotFound("form")
    return form


def form_for_key(db: Session, key: str) -> Form:
    """The live, enabled form of this public key; 404 otherwise (the same for all three)."""
    form = db.scalar(select(Form).where(Form.public_key == key, Form.deleted_at.is_(None)))
    if form is None or not form.enabled:
        raise NotFound("form", "There is no such form")
    return form


def list_forms(db: Session) -> list[Form]:
    return list(db.scalars(select(Form).where(Form.deleted_at.is_(None))
                           .order_by(Form.name, Form.id).limit(500)))


SUBMISSIONS_SORT = Sort("created_at", FormSubmission.created_at, descending=True)


def list_submissions(db: Session, *, form: Form, cursor: str | None,
                     limit: int) -> Page[FormSubmission]:
    """Newest first, keyset on (created_at, id) over ``ix_form_submissions_form_created``."""
    stmt = keyset(select(FormSubmission).where(FormSubmission.form_id == form.id),
                  SUBMISSIONS_SORT, FormSubmission.id, cursor, limit)
    return page_of(list(db.scalars(stmt)), SUBMISSIONS_SORT, limit, lambda r: r.created_at)


def allowed_origins(db: Session, form: Form) -> list[str]:
    if form.site_id is None:
        return []
    site = db.get(WebSite, form.site_id)
    return list(site.allowed_origins or []) if site and site.deleted_at is None else []


# ---- the fill-time token -----------------------------------------------------------------

def fill_token(secret: str, form: Form) -> str:
    """Signed (form, time the page was served): a submission must come at least the form's
    ``min_fill_seconds`` later (bots post at once) and within two days."""
    return str(URLSafeSerializer(secret, salt=FILL_SALT).dumps(
        [form.id.hex, now().timestamp()]))


def check_fill_token(secret: str, form: Form, token: str | None) -> str | None:
    """None when the token is good, else why it is not (a message for the person)."""
    if not token:
        return "This form could not be accepted; reload the page and try again."
    try:
        data = URLSafeSerializer(secret, salt=FILL_SALT).loads(token)
        form_hex, issued = str(data[0]), float(data[1])
    except (BadSignature, ValueError, TypeError, IndexError):
        return "This form could not be accepted; reload the page and try again."
    age = now().timestamp() - issued
    if form_hex != form.id.hex or age > TOKEN_MAX_AGE.total_seconds():
        return "This form has expired; reload the page and try again."
    if age < form.min_fill_seconds:
        return "That was quick! Please check your answers and send the form again."
    return None


# ---- rate limits ---------------------------------------------------------------------------

def take_rate(db: Session, *, form: Form, ip: str | None) -> None:
    """One submission in the key's current minute (one UPDATE), and at most
    ``per_ip_per_hour`` stored submissions from this address; 429 over either. A refused
    request rolls back, so it does not count."""
    at = now()
    start = at.replace(second=0, microsecond=0)
    count = db.execute(
        update(Form).where(Form.id == form.id)
        .values(window_count=case((Form.window_start == start, Form.window_count + 1),
                                  else_=1),
                window_start=start, updated_at=Form.updated_at, version=Form.version)
        .returning(Form.window_count)
        .execution_options(synchronize_session=False)).scalar_one()
    if count > form.rate_limit_per_minute:
        raise FormRateLimited(max(1, int((start + WINDOW - at).total_seconds()) + 1),
                              "Too many submissions of this form; try again in a minute")
    if ip:
        recent = list(db.scalars(
            select(FormSubmission.created_at)
            .where(FormSubmission.form_id == form.id, FormSubmission.ip == ip,
                   FormSubmission.created_at > at - IP_WINDOW)
            .order_by(FormSubmission.created_at).limit(form.per_ip_per_hour)))
        if len(recent) >= form.per_ip_per_hour:
            wait = int((recent[0] + IP_WINDOW - at).total_seconds()) + 1
            raise FormRateLimited(max(1, wait), "Too many submissions from your address; "
                                                "try again later")
