"""Password rules, hashing, changing a password and resetting it with an emailed token.

Rules: 10 to 500 characters, not the user's email (or its local part) or name, and not one of
the most common passwords (``data/common-passwords.txt``). Hashes are argon2id. A reset token is
HMAC-SHA256(secret key, the reset row's random id), stored as its sha256, valid for an hour and
once; the job that emails it computes it again, so the token is never stored anywhere.
Changing or resetting a password ends every web session of the user.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import timedelta
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from amity.auth import sessions
from amity.auth.models import PasswordResetToken, User
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import ValidationFailed

MIN_LENGTH = 10
MAX_LENGTH = 500
RESET_TTL = timedelta(hours=1)
hasher = PasswordHasher()


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("amity.auth").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def check_password_rules(password: str, *, email: str | None = None,
                         name: str | None = None, field: str = "password") -> None:
    """Raise ValidationFailed (naming ``field``) unless ``password`` is acceptable."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed("password.too_short",
                               f"A password needs at least {MIN_LENGTH} characters", field)
    if len(password) > MAX_LENGTH:
        raise ValidationFailed("password.too_long",
                               f"A password can have at most {MAX_LENGTH} characters", field)
    folded = password.strip().casefold()
    personal = set()
    if email:
        personal |= {email.strip().casefold(), email.strip().casefold().split("@", 1)[0]}
    if name:
        personal |= {name.strip().casefold(), name.strip().casefold().replace(" ", "")}
    if folded in {p for p in personal if p}:
        raise ValidationFailed("password.personal",
                               "A password must not be your email address or name", field)
    if folded in common_passwords():
        raise ValidationFailed("password.common",
                               "This password is one of the most common ones; choose another",
                               field)


def hash_password(password: str, *, email: str | None = None, name: str | None = None) -> str:
    """The one place a password becomes a hash: the rules are checked first."""
    check_password_rules(password, email=email, name=name)
    return hasher.hash(password)


def set_password(db: Session, *, user: User, password: str, actor_id: uuid.UUID | None,
                 action: str = "change_password", field: str = "password") -> None:
    """Store a new password for ``user`` and end all their web sessions."""
    check_password_rules(password, email=user.email, name=user.name, field=field)
    user.password_hash = hasher.hash(password)
    user.password_changed_at = now()
    sessions.end_user_sessions(db, user_id=user.id, reason="password")
    audit.record(db, actor_id=actor_id, action=action, entity_type="user", entity_id=user.id,
                 changes={"password_changed_at": [None, user.password_changed_at]})


def change_password(db: Session, *, user: User, current: str, new: str) -> None:
    """A signed-in user changes their password; the current one is required."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        hasher.verify(user.password_hash or "", current)
    except (VerificationError, InvalidHashError) as exc:
        raise ValidationFailed("password.current_wrong", "The current password is not right",
                               "current_password") from exc
    if current == new:
        raise ValidationFailed("password.unchanged", "Choose a password you have not been "
                               "using", "new_password")
    set_password(db, user=user, password=new, actor_id=user.id, field="new_password")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reset_token_text(secret: str, token_id: uuid.UUID) -> str:
    """The token mailed for reset row ``token_id`` (256 bits, URL-safe)."""
    mac = hmac.new(secret.encode(), b"amity-password-reset:" + token_id.bytes, hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def create_reset_token(db: Session, *, email: str,
                       secret: str) -> tuple[User, PasswordResetToken] | None:
    """A single-use reset token for the active user with this email (None if there is none).

    Older unused tokens of the user are spent, so only the latest link works. The link's
    token is ``reset_token_text(secret, row.id)``.
    """
    user = db.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.is_active:
        return None
    at = now()
    db.execute(update(PasswordResetToken).where(PasswordResetToken.user_id == user.id,
                                                PasswordResetToken.used_at.is_(None))
               .values(used_at=at))
    row_id = uuid.uuid4()
    row = PasswordResetToken(id=row_id, user_id=user.id, created_at=at,
                             token_hash=_digest(reset_token_text(secret, row_id)),
                             expires_at=at + RESET_TTL)
    db.add(row)
    db.execute(delete(PasswordResetToken).where(
        PasswordResetToken.expires_at < at - timedelta(days=7)))
    audit.record(db, actor_id=None, action="password_reset_requested", entity_type="user",
                 entity_id=user.id)
    return user, row


def valid_reset_token(db: Session, plain: str) -> PasswordResetToken | None:
    if not plain or len(plain) > 200:
        return None
    tok = db.scalar(select(PasswordResetToken)
                    .where(PasswordResetToken.token_hash == _digest(plain)))
    if tok is None or tok.used_at is not None or tok.expires_at <= now():
        return None
    return tok


def reset_password(db: Session, *, token: str, password: str) -> User:
    """Set a new password with an emailed token (once, within the hour); ends all sessions."""
    tok = valid_reset_token(db, token)
    user = db.get(User, tok.user_id) if tok is not None else None
    if tok is None or user is None or not user.is_active:
        raise ValidationFailed("reset.invalid", "This reset link is invalid, used or expired; "
                               "ask for a new one", "token")
    set_password(db, user=user, password=password, actor_id=user.id, action="reset_password")
    tok.used_at = now()
    return user
