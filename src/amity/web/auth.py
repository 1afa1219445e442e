"""Web sign-in: a server-side session per signed-in browser, and a CSRF token on every POST.

Signed in, the ``amity_session`` cookie holds a random 256-bit token; the database keeps only
its sha256 with the user, the session's CSRF token, expiry and last use (``auth.sessions``), so
sign-out, deactivation and a password change end it at once. Before sign-in the cookie is a
small signed value (itsdangerous, ``settings.secret_key``) holding only a CSRF token, so the
sign-in form is protected without writing a row for every visitor. Signing in always creates a
new session (new token, new CSRF token): a token seen before sign-in is worthless after.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from amity.api.deps import DbSession
from amity.auth import sessions
from amity.auth.models import User
from amity.config import Settings
from amity.core.db import Database

COOKIE_NAME = "amity_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SALT = "amity.web.session"
DEFAULT_NEXT = "/contacts"


class LoginRequired(Exception):
    """No valid signed-in session: pages redirect to /login?next=..."""

    def __init__(self, next_path: str) -> None:
        super().__init__("sign in required")
        self.next_path = next_path


class CsrfFailed(Exception):
    """A POST without the session's CSRF token (missing, stale or forged): 403."""


@dataclass
class BrowserSession:
    """This request's view of its session (plain values; the row lives in the database)."""

    csrf: str
    user_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    mfa_pending: bool = False
    cookie: str | None = None  # the value to send when ``fresh``
    fresh: bool = False  # True when the cookie must be (re)sent with this response


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=_SALT)


def idle_timeout(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.session_idle_s)


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _anonymous(settings: Settings) -> BrowserSession:
    csrf = secrets.token_urlsafe(32)
    return BrowserSession(csrf=csrf, cookie=_serializer(settings).dumps({"c": csrf}),
                          fresh=True)


def _signed_anonymous(settings: Settings, raw: str) -> BrowserSession | None:
    try:
        data = _serializer(settings).loads(raw, max_age=settings.session_max_age_s)
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), str):
        return None
    return BrowserSession(csrf=data["c"])


def _server_session(request: Request, raw: str) -> BrowserSession | None:
    """Look the token up in a short transaction of its own (before the request's unit of work
    begins, so touching ``last_seen_at`` never waits on the request's own write lock)."""
    database: Database = request.app.state.database
    idle = idle_timeout(_settings(request))
    with database.transaction(write=False) as db:
        found = sessions.find_session(db, raw, idle=idle)
        if found is None:
            return None
        state = sessions.state_of(found[0])
        touch = sessions.needs_touch(found[0])
    if touch:
        with database.transaction() as db:
            sessions.touch_session(db, session_id=state.id)
    return BrowserSession(csrf=state.csrf, user_id=state.user_id, session_id=state.id,
                          mfa_pending=state.mfa_pending)


def _load(request: Request) -> BrowserSession | None:
    raw = request.cookies.get(COOKIE_NAME)
    if not raw or len(raw) > 4096:
        return None
    if "." in raw:  # signed anonymous value; session tokens are url-safe base64 (no dots)
        return _signed_anonymous(_settings(request), raw)
    return _server_session(request, raw)


def web_session(request: Request) -> BrowserSession:
    """This request's session: from the cookie, or a new anonymous one (sent on the response)."""
    cached = getattr(request.state, "web_session", None)
    if isinstance(cached, BrowserSession):
        return cached
    session = _load(request) or _anonymous(_settings(request))
    request.state.web_session = session
    return session


def start_session(request: Request, db: Session, user: User, *,
                  mfa_pending: bool = False) -> BrowserSession:
    """A brand-new server session for ``user`` (no fixation of an old token); any session this
    browser had is revoked."""
    settings = _settings(request)
    old = web_session(request)
    if old.session_id is not None:
        sessions.revoke_session(db, session_id=old.session_id)
    row, plain = sessions.create_session(
        db, user=user, lifetime=timedelta(seconds=settings.session_max_age_s),
        mfa_pending=mfa_pending, ip=client_ip(request),
        user_agent=request.headers.get("user-agent"))
    session = BrowserSession(csrf=row.csrf_token, user_id=user.id, session_id=row.id,
                             mfa_pending=mfa_pending, cookie=plain, fresh=True)
    request.state.web_session = session
    return session


def end_session(request: Request, db: Session) -> BrowserSession:
    """Sign out: the server row is revoked and the browser gets a fresh anonymous session."""
    old = web_session(request)
    if old.session_id is not None:
        sessions.revoke_session(db, session_id=old.session_id, actor_id=old.user_id,
                                action="sign_out" if not old.mfa_pending else None)
    session = _anonymous(_settings(request))
    request.state.web_session = session
    return session


def save_session(request: Request, response: Response) -> Response:
    """Send the session cookie if this request created or replaced the session."""
    session = getattr(request.state, "web_session", None)
    if isinstance(session, BrowserSession) and session.fresh and session.cookie:
        settings = _settings(request)
        secure = request.url.scheme == "https" or settings.environment == "production"
        response.set_cookie(COOKIE_NAME, session.cookie, max_age=settings.session_max_age_s,
                            path="/", httponly=True, samesite="lax", secure=secure)
    return response


def current_path(request: Request) -> str:
    path = request.url.path
    return f"{path}?{request.url.query}" if request.url.query else path


def safe_next(value: str | None) -> str:
    """Only a local path may follow sign-in: never another host, scheme or a '//' URL."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return DEFAULT_NEXT
    if any(ord(ch) < 32 or ch == "\\" for ch in value):
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    return value


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(safe_next(next_path), safe="/")


def signed_in_user(request: Request, db: DbSession) -> User:
    """The signed-in, active user; otherwise LoginRequired (a redirect to /login).

    A session still waiting for its second factor signs nobody in.
    """
    session = web_session(request)
    if session.user_id is None or session.mfa_pending:
        raise LoginRequired(current_path(request))
    user = db.get(User, session.user_id)
    if user is None or not user.is_active:
        raise LoginRequired(current_path(request))
    request.state.user = user
    return user


async def check_csrf(request: Request) -> None:
    """Every POST carries the session's token: as a form field, or a header (HTMX)."""
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    had_cookie = bool(request.cookies.get(COOKIE_NAME))
    session = await run_in_threadpool(web_session, request)
    if not had_cookie or session.fresh or not sent \
            or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise CsrfFailed()


WebUser = Annotated[User, Depends(signed_in_user)]
CsrfChecked = Depends(check_csrf)
