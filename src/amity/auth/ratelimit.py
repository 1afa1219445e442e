"""Sign-in lock-out and rate limits, counted in ``login_attempts`` so they hold across processes.

- 5 failed sign-ins for one email within 15 minutes lock that email for 15 minutes (counting
  from the fifth failure); a successful sign-in starts the count again.
- More than 30 failures from one IP address within 15 minutes refuse that address until the
  count falls back.
- Password-reset requests are counted the same way under ``reset:<email>`` keys.
A locked sign-in gets the same message whether the password was right or not.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from amity.auth.models import LoginAttempt
from amity.core.clock import now
from amity.core.errors import DomainError

WINDOW = timedelta(minutes=15)
EMAIL_FAILURES = 5
IP_FAILURES = 30
RESET_PER_EMAIL = 3
RESET_PER_IP = 20
RESET_PREFIX = "reset:"
KEEP = timedelta(days=1)


class TooManyAttempts(DomainError):
    status = 429

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__("auth.locked", message or "Too many attempts; try again later",
                         retry_after=retry_after)
        self.retry_after = retry_after


def email_key(email: str) -> str:
    return email.strip().lower()[:300]


def _seconds_until(at: datetime) -> int:
    return max(1, math.ceil((at - now()).total_seconds()))


def _ip_failures(db: Session, ip: str, *, reset: bool) -> list[datetime]:
    kind = LoginAttempt.email_key.startswith(RESET_PREFIX)
    return list(db.scalars(select(LoginAttempt.at)
                           .where(LoginAttempt.ip == ip, LoginAttempt.success.is_(False),
                                  LoginAttempt.at > now() - WINDOW,
                                  kind if reset else ~kind)
                           .order_by(LoginAttempt.at.desc()).limit(IP_FAILURES + 1)))


def check_sign_in_allowed(db: Session, *, email: str, ip: str | None) -> None:
    """Raise TooManyAttempts (429, with seconds to wait) if this email or IP is locked."""
    since = now() - WINDOW
    recent = db.execute(select(LoginAttempt.at, LoginAttempt.success)
                        .where(LoginAttempt.email_key == email_key(email),
                               LoginAttempt.at > since)
                        .order_by(LoginAttempt.at.desc()).limit(50)).all()
    failures: list[datetime] = []
    for at, success in recent:
        if success:
            break
        failures.append(at)
    if len(failures) >= EMAIL_FAILURES:
        raise TooManyAttempts(_seconds_until(failures[EMAIL_FAILURES - 1] + WINDOW))
    if ip:
        ip_failures = _ip_failures(db, ip, reset=False)
        if len(ip_failures) > IP_FAILURES:
            raise TooManyAttempts(_seconds_until(ip_failures[IP_FAILURES] + WINDOW))


def record_attempt(db: Session, *, email: str, ip: str | None, success: bool) -> None:
    """Count a sign-in attempt (and prune attempts older than a day)."""
    at = now()
    db.add(LoginAttempt(email_key=email_key(email), ip=(ip or "")[:64] or None, at=at,
                        success=success))
    db.execute(delete(LoginAttempt).where(LoginAttempt.at < at - KEEP))


def allow_reset_request(db: Session, *, email: str, ip: str | None) -> bool:
    """Count a password-reset request. False when this email asked too often recently (the
    caller answers as usual and sends nothing); TooManyAttempts when the IP asked too often."""
    key = RESET_PREFIX + email_key(email)
    if ip:
        recent_ip = _ip_failures(db, ip, reset=True)
        if len(recent_ip) >= RESET_PER_IP:
            raise TooManyAttempts(_seconds_until(recent_ip[RESET_PER_IP - 1] + WINDOW))
    asked = db.scalar(select(func.count()).select_from(LoginAttempt)
                      .where(LoginAttempt.email_key == key, LoginAttempt.at > now() - WINDOW))
    record_attempt(db, email=key, ip=ip, success=False)
    return int(asked or 0) < RESET_PER_EMAIL
