"""Server-side web sessions: the browser holds a random token, the database its sha256.

A session ends when it is revoked (sign-out), after ``max_age`` (absolute), after ``idle``
without a request, when its user is deactivated, or when the user's password changes. A
session waiting for the second factor (``mfa_pending``) signs nobody in until it is completed,
which replaces it with a new one. ``last_seen_at`` is written at most once a minute.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from amity.auth.models import User, WebSession
from amity.core import audit
from amity.core.clock import now

TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionState:
    """What a request needs to know about its session (plain values, safe to keep)."""

    id: uuid.UUID
    user_id: uuid.UUID | None
    csrf: str
    mfa_pending: bool


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(db: Session, *, user: User, lifetime: timedelta, mfa_pending: bool = False,
                   ip: str | None = None, user_agent: str | None = None
                   ) -> tuple[WebSession, str]:
    """A brand-new session (new token, new CSRF token); the plain token is returned once."""
    at = now()
    plain = secrets.token_urlsafe(32)  # 256 bits
    row = WebSession(token_hash=token_digest(plain), user_id=user.id,
                     csrf_token=secrets.token_urlsafe(32), mfa_pending=mfa_pending,
                     expires_at=at + lifetime, last_seen_at=at, ip=(ip or "")[:64] or None,
                     user_agent=(user_agent or "")[:300] or None)
    db.add(row)
    # opportunistic pruning: expired or revoked rows older than a day are of no use
    db.execute(delete(WebSession).where(or_(WebSession.expires_at < at - timedelta(days=1),
                                            WebSession.revoked_at < at - timedelta(days=1))))
    db.flush()
    return row, plain


def _stale_for(user: User, session: WebSession) -> bool:
    """Sessions older than a password change or a deactivation are dead, whoever wrote it."""
    changed = user.password_changed_at
    deactivated = user.deactivated_at
    return (not user.is_active
            or (changed is not None and changed > session.created_at)
            or (deactivated is not None and deactivated > session.created_at))


def find_session(db: Session, token: str, *, idle: timedelta
                 ) -> tuple[WebSession, User] | None:
    """The live session and its active user for a cookie token, or None."""
    if not token or len(token) > 100:
        return None
    found = db.execute(select(WebSession, User).join(User, User.id == WebSession.user_id)
                       .where(WebSession.token_hash == token_digest(token))).first()
    if found is None:
        return None
    row, user = found
    at = now()
    last = row.last_seen_at or row.created_at
    if (row.revoked_at is not None or row.expires_at <= at or last + idle <= at
            or _stale_for(user, row)):
        return None
    return row, user


def needs_touch(row: WebSession) -> bool:
    return row.last_seen_at is None or now() - row.last_seen_at >= TOUCH_EVERY


def touch_session(db: Session, *, session_id: uuid.UUID) -> None:
    db.execute(update(WebSession).where(WebSession.id == session_id)
               .values(last_seen_at=now()))


def state_of(row: WebSession) -> SessionState:
    return SessionState(id=row.id, user_id=row.user_id, csrf=row.csrf_token,
                        mfa_pending=row.mfa_pending)


def revoke_session(db: Session, *, session_id: uuid.UUID,
                   actor_id: uuid.UUID | None = None, action: str | None = None) -> None:
    """End one session now (sign-out)."""
    db.execute(update(WebSession).where(WebSession.id == session_id,
                                        WebSession.revoked_at.is_(None))
               .values(revoked_at=now()))
    if action:
        audit.record(db, actor_id=actor_id, action=action, entity_type="user",
                     entity_id=actor_id)


def end_user_sessions(db: Session, *, user_id: uuid.UUID, reason: str,
                      keep: uuid.UUID | None = None) -> int:
    """End every live session of a user (deactivation, password change); returns how many.

    Call it from whatever deactivates a user; sessions are also refused on read when the user
    is inactive or changed password after the session began.
    """
    stmt = (update(WebSession).where(WebSession.user_id == user_id,
                                     WebSession.revoked_at.is_(None))
            .values(revoked_at=now()))
    if keep is not None:
        stmt = stmt.where(WebSession.id != keep)
    count = int(getattr(db.execute(stmt), "rowcount", 0) or 0)
    if count:
        audit.record(db, actor_id=None, action="end_sessions", entity_type="user",
                     entity_id=user_id, changes={"reason": reason, "sessions": count})
    return count


def live_sessions(db: Session, *, user_id: uuid.UUID, idle: timedelta) -> list[WebSession]:
    """A user's current sessions, newest first (for the account page)."""
    at = now()
    rows = db.scalars(select(WebSession).where(WebSession.user_id == user_id,
                                               WebSession.revoked_at.is_(None),
                                               WebSession.expires_at > at,
                                               WebSession.mfa_pending.is_(False))
                      .order_by(WebSession.created_at.desc()).limit(50))
    return [r for r in rows if (r.last_seen_at or r.created_at) + idle > at]
