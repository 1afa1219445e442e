"""My account: change password, two-factor sign-in, API tokens, signed-in sessions."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from amity.api.deps import AppSettings, DbSession
from amity.auth import passwords, service, sessions, totp
from amity.auth.models import ApiToken, User
from amity.config import Settings
from amity.core.clock import now
from amity.core.errors import NotFound, ValidationFailed
from amity.web.auth import (
    CsrfChecked,
    WebUser,
    idle_timeout,
    save_session,
    start_session,
    web_session,
)
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(route_class=WebRoute)
Pw = Annotated[str, Form(max_length=1000)]
Code = Annotated[str, Form(max_length=20)]


def _page(request: Request, db: Session, settings: Settings, user: User, *,
          errors: dict[str, str] | None = None, notice: str | None = None,
          status_code: int = 200) -> Response:
    current = web_session(request).session_id
    return render(request, "account/index.html", {
        "tokens": service.tokens_of(db, user_id=user.id),
        "sessions": sessions.live_sessions(db, user_id=user.id, idle=idle_timeout(settings)),
        "current_session": current, "errors": errors or {}, "notice": notice, "now": now(),
    }, status_code=status_code)


_NOTICES = {"password": "Your password was changed; other browsers were signed out.",
            "2fa-on": "Two-factor sign-in is on.", "2fa-off": "Two-factor sign-in is off.",
            "revoked": "The token was revoked.", "sessions": "Other sessions were signed out."}


@router.get("/account")
def account(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
            done: str = "") -> Response:
    return _page(request, db, settings, user, notice=_NOTICES.get(done))


def _done(what: str) -> Response:
    return RedirectResponse(f"/account?done={what}", status_code=303)


@router.post("/account/password", dependencies=[CsrfChecked])
def change_password(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
                    current_password: Pw = "", new_password: Pw = "",
                    new_password2: Pw = "") -> Response:
    try:
        if new_password != new_password2:
            raise ValidationFailed("password.mismatch", "The two new passwords differ",
                                   "new_password")
        passwords.change_password(db, user=user, current=current_password, new=new_password)
    except ValidationFailed as exc:
        db.rollback()
        return _page(request, db, settings, user, errors={exc.field or "_": exc.message},
                     status_code=422)
    start_session(request, db, user)  # every session ended; this browser gets a new one
    return save_session(request, _done("password"))


@router.post("/account/2fa/start", dependencies=[CsrfChecked])
def start_2fa(request: Request, db: DbSession, user: WebUser) -> Response:
    secret = totp.start_totp_enrolment(db, user=user)
    return render(request, "account/totp_setup.html",
                  {"secret": secret, "uri": totp.provisioning_uri(user), "error": None})


@router.post("/account/2fa/confirm", dependencies=[CsrfChecked])
def confirm_2fa(request: Request, db: DbSession, user: WebUser, code: Code = "") -> Response:
    try:
        totp.confirm_totp_enrolment(db, user=user, code=code)
    except ValidationFailed as exc:
        db.rollback()
        if not user.totp_secret:
            raise
        return render(request, "account/totp_setup.html",
                      {"secret": user.totp_secret, "uri": totp.provisioning_uri(user),
                       "error": exc.message}, status_code=422)
    return _done("2fa-on")


@router.post("/account/2fa/disable", dependencies=[CsrfChecked])
def disable_2fa(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
                code: Code = "") -> Response:
    try:
        totp.disable_totp(db, user=user, code=code)
    except ValidationFailed as exc:
        db.rollback()
        return _page(request, db, settings, user, errors={"code": exc.message},
                     status_code=422)
    return _done("2fa-off")


@router.post("/account/tokens", dependencies=[CsrfChecked])
def create_token(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
                 name: Annotated[str, Form(max_length=200)] = "",
                 scopes: Annotated[str, Form(max_length=2000)] = "*",
                 expires_days: Annotated[str, Form(max_length=6)] = "") -> Response:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["token_name"] = "Give the token a name, e.g. the script that uses it."  # noqa: S105
    days = expires_days.strip()
    if days and (not days.isdigit() or not 1 <= int(days) <= 3650):
        errors["expires_days"] = "Days until it expires: a whole number from 1 to 3650."
    wanted = [s for s in scopes.replace(",", " ").split() if s] or ["*"]
    if not errors:
        try:
            tok, plain = service.create_api_token(
                db, user=user, name=name.strip(), scopes=wanted,
                expires_at=now() + timedelta(days=int(days)) if days else None)
        except ValidationFailed as exc:
            db.rollback()
            errors["scopes" if (exc.field or "").startswith("scopes") else "token_name"] = \
                exc.message
    if errors:
        return _page(request, db, settings, user, errors=errors, status_code=422)
    return render(request, "account/token_created.html", {"token": tok, "plain": plain})


def _my_token(db: Session, user: User, token_id: uuid.UUID) -> ApiToken:
    tok = db.get(ApiToken, token_id)
    if tok is None or tok.user_id != user.id:
        raise NotFound("token")
    return tok


@router.post("/account/tokens/{token_id}/revoke", dependencies=[CsrfChecked])
def revoke_token(token_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    service.revoke_api_token(db, token=_my_token(db, user, token_id), actor_id=user.id)
    return _done("revoked")


@router.post("/account/sessions/end-others", dependencies=[CsrfChecked])
def end_other_sessions(request: Request, db: DbSession, user: WebUser) -> Response:
    sessions.end_user_sessions(db, user_id=user.id, reason="signed out elsewhere",
                               keep=web_session(request).session_id)
    return _done("sessions")
