"""Settings → Mailboxes: IMAP mailboxes for administrators (list, add, edit, test, poll now,
delete). Everything needs ``settings.edit``, as in the API; the work is done by
``amity.mail.service``. The password is never shown: left empty on edit, it is kept.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError

from amity.api.deps import DbSession
from amity.auth.access import Permission, require, scope_for
from amity.auth.models import User
from amity.core.errors import DomainError, PreconditionFailed
from amity.jobs.mail import enqueue_poll
from amity.mail import service
from amity.mail.models import Mailbox
from amity.mail.schemas import MailboxCheck, MailboxCreate, MailboxUpdate
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render, templates

router = APIRouter(prefix="/settings/mailboxes", route_class=WebRoute)


def can_manage_mailboxes(user: User | None) -> bool:
    return user is not None and scope_for(user, Permission.SETTINGS_MANAGE) != "none"


# settings/_tabs.html shows the Mailboxes tab only to those who may open it
templates.env.globals["can_manage_mailboxes"] = can_manage_mailboxes
FIELDS = ("name", "host", "port", "security", "username", "password", "folder", "purpose",
          "enabled")


class MailboxForm(BaseModel):
    name: str = ""
    host: str = ""
    port: str = ""
    security: str = "ssl"
    username: str = ""
    password: str = ""
    folder: str = "INBOX"
    purpose: str = "tickets"
    enabled: str = ""
    version: str = ""


def _payload(form: MailboxForm, *, create: bool) -> dict[str, Any]:
    data: dict[str, Any] = {k: getattr(form, k).strip() for k in
                            ("name", "host", "security", "username", "folder", "purpose")}
    data["port"] = form.port.strip() or None
    data["enabled"] = form.enabled == "on"
    if form.password or create:
        data["password"] = form.password
    if not create and form.version.strip().isdigit():
        data["version"] = int(form.version)
    return data


def _errors(exc: ValidationError | DomainError) -> dict[str, str]:
    if isinstance(exc, DomainError):
        return {exc.field if exc.field in FIELDS else "_form": exc.message}
    out: dict[str, str] = {}
    for err in exc.errors():
        head = str(err["loc"][0]) if err.get("loc") else ""
        out.setdefault(head if head in FIELDS else "_form",
                       str(err.get("msg", "invalid value")).removeprefix("Value error, "))
    return out


def _form_of(m: Mailbox) -> MailboxForm:
    return MailboxForm(name=m.name, host=m.host, port=str(m.port), security=m.security,
                       username=m.username, folder=m.folder, purpose=m.purpose,
                       enabled="on" if m.enabled else "", version=str(m.version))


def _edit_page(request: Request, form: MailboxForm, errors: dict[str, str],
               mailbox: Mailbox | None = None, status_code: int = 200) -> Response:
    return render(request, "settings/mailbox_edit.html",
                  {"form": form, "errors": errors, "mailbox": mailbox, "tab": "mailboxes"},
                  status_code=status_code)


def _list_page(request: Request, db: DbSession, *, checked: uuid.UUID | None = None,
               check: MailboxCheck | None = None, queued: str | None = None) -> Response:
    return render(request, "settings/mailboxes.html",
                  {"mailboxes": service.list_mailboxes(db), "tab": "mailboxes",
                   "checked": checked, "check": check, "queued": queued})


@router.get("")
def mailbox_list(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    queued = request.query_params.get("queued")
    return _list_page(request, db, queued=queued[:100] if queued else None)


@router.get("/new")
def new_mailbox(request: Request, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    return _edit_page(request, MailboxForm(enabled="on"), {})


@router.post("", dependencies=[CsrfChecked])
def create_mailbox(request: Request, db: DbSession, user: WebUser,
                   form: Annotated[MailboxForm, Form()]) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    try:
        service.create_mailbox(db, data=MailboxCreate.model_validate(
            _payload(form, create=True)), actor=user)
    except (ValidationError, DomainError) as exc:
        db.rollback()
        status = exc.status if isinstance(exc, DomainError) else 422
        return _edit_page(request, form.model_copy(update={"password": ""}), _errors(exc),
                          status_code=status)
    return RedirectResponse("/settings/mailboxes", status_code=303)


@router.get("/{mailbox_id}")
def edit_mailbox(request: Request, mailbox_id: uuid.UUID, db: DbSession,
                 user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    m = service.live_mailbox(db, mailbox_id)
    return _edit_page(request, _form_of(m), {}, m)


@router.post("/{mailbox_id}", dependencies=[CsrfChecked])
def save_mailbox(request: Request, mailbox_id: uuid.UUID, db: DbSession, user: WebUser,
                 form: Annotated[MailboxForm, Form()]) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    m = service.live_mailbox(db, mailbox_id)
    try:
        service.update_mailbox(db, mailbox=m, data=MailboxUpdate.model_validate(
            _payload(form, create=False)), actor=user)
    except PreconditionFailed:
        db.rollback()
        db.refresh(m)
        return _edit_page(request, _form_of(m), {"_form": (
            "Someone else saved this mailbox meanwhile; it now shows their version.")},
            m, status_code=412)
    except (ValidationError, DomainError) as exc:
        db.rollback()
        db.refresh(m)
        status = exc.status if isinstance(exc, DomainError) else 422
        return _edit_page(request, form.model_copy(update={"password": ""}), _errors(exc), m,
                          status_code=status)
    return RedirectResponse("/settings/mailboxes", status_code=303)


@router.post("/{mailbox_id}/test", dependencies=[CsrfChecked])
def test_mailbox(request: Request, mailbox_id: uuid.UUID, db: DbSession,
                 user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    m = service.live_mailbox(db, mailbox_id)
    db.commit()  # no transaction (or SQLite write lock) held during the login
    return _list_page(request, db, checked=m.id, check=service.check_mailbox(m))


@router.post("/{mailbox_id}/poll", dependencies=[CsrfChecked])
def poll_mailbox(mailbox_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    m = service.live_mailbox(db, mailbox_id)
    if m.enabled:
        enqueue_poll(db, m.id)
    return RedirectResponse(f"/settings/mailboxes?queued={m.id}", status_code=303)


@router.post("/{mailbox_id}/delete", dependencies=[CsrfChecked])
def delete_mailbox(mailbox_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    service.delete_mailbox(db, mailbox=service.live_mailbox(db, mailbox_id), actor=user)
    return RedirectResponse("/settings/mailboxes", status_code=303)
