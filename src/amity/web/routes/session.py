"""Signing in (password, then a code when two-factor is on), signing out, resetting a password.

Every sign-in attempt is counted (``auth.ratelimit``) and audited; a locked email or address
gets 429 with Retry-After and the same message whether or not the password was right.
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from amity.api.deps import AppSettings, DbSession
from amity.auth import passwords, ratelimit, totp
from amity.auth.models import User
from amity.auth.service import authenticate_password
from amity.core import audit
from amity.core.errors import ValidationFailed
from amity.jobs import accounts
from amity.web.auth import (
    CsrfChecked,
    client_ip,
    end_session,
    safe_next,
    save_session,
    start_session,
    web_session,
)
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(route_class=WebRoute)
log = logging.getLogger("amity.web")

BAD_LOGIN = "That email and password do not match an active account."
BAD_CODE = "That code is not right. Use the newest code from your authenticator app."
LOCKED = "Too many failed sign-ins. Wait {minutes} minutes, then try again."
Email = Annotated[str, Form(max_length=320)]
Next = Annotated[str, Form(max_length=2000)]


def _locked(request: Request, template: str, exc: ratelimit.TooManyAttempts,
            context: dict[str, object]) -> Response:
    minutes = max(1, -(-exc.retry_after // 60))
    return render(request, template, {**context, "error": LOCKED.format(minutes=minutes)},
                  status_code=429, headers={"Retry-After": str(exc.retry_after)})


def _failed(db: Session, request: Request, *, email: str, user_id: uuid.UUID | None,
            reason: str) -> None:
    ratelimit.record_attempt(db, email=email, ip=client_ip(request), success=False)
    audit.record(db, actor_id=None, action="sign_in_failed", entity_type="user",
                 entity_id=user_id,
                 changes={"email": ratelimit.email_key(email), "ip": client_ip(request),
                          "reason": reason})


def _signed_in(db: Session, request: Request, user: User, method: str, next_path: str
               ) -> Response:
    ratelimit.record_attempt(db, email=user.email, ip=client_ip(request), success=True)
    audit.record(db, actor_id=user.id, action="sign_in", entity_type="user", entity_id=user.id,
                 changes={"method": method, "ip": client_ip(request)})
    start_session(request, db, user)
    return save_session(request, RedirectResponse(safe_next(next_path), status_code=303))


@router.get("/login")
def login_page(request: Request, db: DbSession, next: str | None = None) -> Response:
    session = web_session(request)
    if session.user_id and not session.mfa_pending:
        user = db.get(User, session.user_id)
        if user is not None and user.is_active:
            return save_session(request, RedirectResponse(safe_next(next), status_code=303))
    return render(request, "login.html", {"next": safe_next(next), "email": "", "error": None,
                                          "notice": None})


@router.post("/login", dependencies=[CsrfChecked])
def login(request: Request, db: DbSession, email: Email = "",
          password: Annotated[str, Form(max_length=1000)] = "", next: Next = "") -> Response:
    context: dict[str, object] = {"next": safe_next(next), "email": email, "notice": None}
    try:
        ratelimit.check_sign_in_allowed(db, email=email, ip=client_ip(request))
    except ratelimit.TooManyAttempts as exc:
        return _locked(request, "login.html", exc, context)
    user = authenticate_password(db, email=email, password=password) if email and password \
        else None
    if user is None:
        if email:
            _failed(db, request, email=email, user_id=None, reason="password")
        return render(request, "login.html", {**context, "error": BAD_LOGIN}, status_code=401)
    if user.totp_enabled:
        start_session(request, db, user, mfa_pending=True)
        target = "/login/2fa?next=" + safe_next(next)
        return save_session(request, RedirectResponse(target, status_code=303))
    return _signed_in(db, request, user, "password", next)


def _pending_user(request: Request, db: Session) -> User | None:
    session = web_session(request)
    if not session.mfa_pending or session.user_id is None:
        return None
    user = db.get(User, session.user_id)
    return user if user is not None and user.is_active and user.totp_enabled else None


@router.get("/login/2fa")
def second_factor_page(request: Request, db: DbSession, next: str | None = None) -> Response:
    if _pending_user(request, db) is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, "account/mfa.html", {"next": safe_next(next), "error": None})


@router.post("/login/2fa", dependencies=[CsrfChecked])
def second_factor(request: Request, db: DbSession,
                  code: Annotated[str, Form(max_length=20)] = "", next: Next = "") -> Response:
    user = _pending_user(request, db)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    context: dict[str, object] = {"next": safe_next(next)}
    try:
        ratelimit.check_sign_in_allowed(db, email=user.email, ip=client_ip(request))
    except ratelimit.TooManyAttempts as exc:
        end_session(request, db)
        return _locked(request, "login.html", exc, {**context, "email": user.email,
                                                    "notice": None})
    if not totp.verify_code(user, code):
        _failed(db, request, email=user.email, user_id=user.id, reason="totp")
        return render(request, "account/mfa.html", {**context, "error": BAD_CODE},
                      status_code=401)
    return _signed_in(db, request, user, "password+totp", next)


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, db: DbSession) -> Response:
    end_session(request, db)
    return save_session(request, RedirectResponse("/login", status_code=303))


@router.get("/password/forgot")
def forgot_page(request: Request) -> Response:
    return render(request, "account/forgot.html", {"sent": False, "email": "", "error": None})


@router.post("/password/forgot", dependencies=[CsrfChecked])
def forgot(request: Request, db: DbSession, settings: AppSettings, email: Email = "") -> Response:
    """The same answer whether or not the address belongs to someone."""
    context: dict[str, object] = {"sent": True, "email": email}
    try:
        allowed = bool(email.strip()) and ratelimit.allow_reset_request(
            db, email=email, ip=client_ip(request))
    except ratelimit.TooManyAttempts as exc:
        return _locked(request, "account/forgot.html", exc, {**context, "sent": False})
    issued = (passwords.create_reset_token(db, email=email, secret=settings.secret_key)
              if allowed else None)
    if issued is not None:  # a job mails the link after commit; no SMTP wait here
        accounts.enqueue_reset_mail(db, token=issued[1])
    return render(request, "account/forgot.html", {**context, "error": None})


@router.get("/password/reset")
def reset_page(request: Request, db: DbSession, token: str = "") -> Response:
    if passwords.valid_reset_token(db, token) is None:
        return render(request, "account/reset.html", {"token": "", "invalid": True,
                                                      "error": None}, status_code=400)
    return render(request, "account/reset.html", {"token": token, "invalid": False,
                                                  "error": None})


@router.post("/password/reset", dependencies=[CsrfChecked])
def reset(request: Request, db: DbSession, token: Annotated[str, Form(max_length=200)] = "",
          password: Annotated[str, Form(max_length=1000)] = "",
          password2: Annotated[str, Form(max_length=1000)] = "") -> Response:
    context: dict[str, object] = {"token": token, "invalid": False}
    if password != password2:
        return render(request, "account/reset.html",
                      {**context, "error": "The two passwords differ."}, status_code=422)
    try:
        passwords.reset_password(db, token=token, password=password)
    except ValidationFailed as exc:
        db.rollback()
        invalid = exc.field == "token"
        return render(request, "account/reset.html",
                      {**context, "invalid": invalid, "error": exc.message},
                      status_code=400 if invalid else 422)
    end_session(request, db)
    return render(request, "login.html", {
        "next": "/contacts", "email": "", "error": None,
        "notice": "Your password was changed. Sign in with the new one."})
