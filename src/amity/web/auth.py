"""Web sign-in: a signed session cookie holding the user id and a per-session CSRF token.

The cookie is signed (itsdangerous, keyed by ``settings.secret_key``) and time-limited
(``settings.session_max_age_s``); nothing is stored server-side. Every browser gets a session
on its first page (anonymous until sign-in) so the sign-in form itself carries a CSRF token.
Signing in issues a new session (new token) so a token seen before sign-in is worthless after.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from amity.api.deps import DbSession
from amity.auth.models import User
from amity.config import Settings

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
class WebSession:
    csrf: str
    user_id: uuid.UUID | None = None
    fresh: bool = False  # True when the cookie must be (re)sent with this response

    @classmethod
    def new(cls, user_id: uuid.UUID | None = None) -> WebSession:
        return cls(csrf=secrets.token_urlsafe(32), user_id=user_id, fresh=True)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=_SALT)


def _read_cookie(request: Request) -> WebSession | None:
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    settings = _settings(request)
    try:
        data = _serializer(settings).loads(raw, max_age=settings.session_max_age_s)
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), str):
        return None
    try:
        user_id = uuid.UUID(data["u"]) if data.get("u") else None
    except (TypeError, ValueError):
        return None
    return WebSession(csrf=data["c"], user_id=user_id)


def web_session(request: Request) -> WebSession:
    """This request's session: from the cookie, or a new anonymous one (sent on the response)."""
    cached = getattr(request.state, "web_session", None)
    if isinstance(cached, WebSession):
        return cached
    session = _read_cookie(request) or WebSession.new()
    request.state.web_session = session
    return session


def start_session(request: Request, user: User) -> WebSession:
    """Sign ``user`` in: a brand-new session and CSRF token (no fixation of an old one)."""
    session = WebSession.new(user.id)
    request.state.web_session = session
    return session


def end_session(request: Request) -> WebSession:
    session = WebSession.new()
    request.state.web_session = session
    return session


def save_session(request: Request, response: Response) -> Response:
    """Send the session cookie if this request created or replaced the session."""
    session = getattr(request.state, "web_session", None)
    if isinstance(session, WebSession) and session.fresh:
        settings = _settings(request)
        payload = {"u": str(session.user_id) if session.user_id else None, "c": session.csrf}
        response.set_cookie(COOKIE_NAME, _serializer(settings).dumps(payload),
                            max_age=settings.session_max_age_s, path="/", httponly=True,
                            samesite="lax", secure=request.url.scheme == "https")
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


def user_for_session(db: Session, user_id: uuid.UUID) -> User | None:
    user = db.get(User, user_id)
    return user if user is not None and user.is_active else None


def signed_in_user(request: Request, db: DbSession) -> User:
    """The signed-in, active user; otherwise LoginRequired (a redirect to /login)."""
    session = web_session(request)
    user = user_for_session(db, session.user_id) if session.user_id else None
    if user is None:
        raise LoginRequired(current_path(request))
    request.state.user = user
    return user


async def check_csrf(request: Request) -> None:
    """Every POST carries the session's token: as a form field, or a header (HTMX)."""
    session = _read_cookie(request)
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if session is None or not sent or not hmac.compare_digest(sent, session.csrf):
        raise CsrfFailed()
    request.state.web_session = session


WebUser = Annotated[User, Depends(signed_in_user)]
CsrfChecked = Depends(check_csrf)
