"""Settings > Email & tracking: the configured outgoing sender (SMTP comes from the
environment, ``AMITY_SMTP_*``; no secret is stored or shown), a "send test email" action, and
the web-tracking sites with the copy-paste snippet carrying each site's public key.

Viewing needs ``settings.view``; sending a test and adding a site need ``settings.edit``. Sites
are created by ``activities.webevents`` (audited), the same service as ``POST /sites``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from amity.activities import webevents
from amity.activities.outreach_schemas import SiteCreate
from amity.api.deps import AppSettings, DbSession
from amity.auth.access import Permission, require, scope_for
from amity.auth.models import User
from amity.config import Settings
from amity.core.errors import DomainError
from amity.core.mail import MailError, MailNotConfigured, send_mail
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(prefix="/settings/email", route_class=WebRoute)
Text = Annotated[str, Form(max_length=5000)]


def snippet(settings: Settings, public_key: str) -> str:
    base = settings.base_url.rstrip("/")
    return f'<script src="{base}/static/amity-track.js" data-key="{public_key}" defer></script>'


def _page(request: Request, db: Session, user: User, settings: Settings, *,
          errors: dict[str, str] | None = None, sent: str | None = None,
          status_code: int = 200) -> Response:
    sites = webevents.list_sites(db)
    return render(request, "settings/email.html", {
        "tab": "email", "smtp_from": settings.smtp_from, "smtp_host": settings.smtp_host,
        "smtp_port": settings.smtp_port, "smtp_starttls": settings.smtp_starttls,
        "sites": [(s, snippet(settings, s.public_key)) for s in sites], "sent": sent,
        "may_edit": scope_for(user, Permission.SETTINGS_MANAGE) != "none",
        "errors": errors or {}}, status_code=status_code)


@router.get("")
def email_page(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
               sent: str | None = None) -> Response:
    require(user, Permission.SETTINGS_VIEW)
    return _page(request, db, user, settings, sent=sent)


@router.post("/test", dependencies=[CsrfChecked])
def send_test(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
              to: Text = "") -> Response:
    """Send one plain message to ``to`` (default: the signed-in user) through the configured
    SMTP server; a failure is shown with the server's answer, nothing is stored."""
    require(user, Permission.SETTINGS_MANAGE)
    address = to.strip() or user.email
    if "@" not in address or len(address) > 320:
        return _page(request, db, user, settings, status_code=422,
                     errors={"to": "Give an email address to send the test to."})
    try:
        send_mail(settings, to=address, subject="Amity test email",
                  body=f"This is a test email from Amity, sent by {user.name}.\n"
                       f"Sender: {settings.smtp_from}\n")
    except MailNotConfigured:
        return _page(request, db, user, settings, status_code=422, errors={
            "to": "No SMTP server is configured: set AMITY_SMTP_HOST (and AMITY_SMTP_PORT, "
                  "AMITY_SMTP_USERNAME, AMITY_SMTP_PASSWORD) and restart."})
    except MailError as exc:
        return _page(request, db, user, settings, status_code=502,
                     errors={"to": f"The SMTP server refused the message: {exc}"})
    return RedirectResponse("/settings/email?sent=1", status_code=303)


@router.post("/sites", dependencies=[CsrfChecked])
def add_site(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
             name: Text = "", allowed_origins: Text = "") -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    origins = [o.strip() for o in allowed_origins.replace(",", " ").split() if o.strip()]
    try:
        body = SiteCreate.model_validate({"name": name.strip(), "allowed_origins": origins})
        site = webevents.create_site(db, values=body.model_dump(), actor=user)
    except ValidationError as exc:
        first = exc.errors()[0]
        return _page(request, db, user, settings, status_code=422, errors={
            "site": f"{first['loc'][0] if first.get('loc') else 'site'}: "
                    f"{str(first['msg']).removeprefix('Value error, ')}"})
    except DomainError as exc:
        db.rollback()
        return _page(request, db, user, settings, status_code=exc.status,
                     errors={"site": exc.message})
    return RedirectResponse(f"/settings/email#site-{site.id}", status_code=303)
