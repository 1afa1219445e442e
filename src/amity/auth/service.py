"""Creating users, checking passwords, issuing and checking API tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amity.auth.models import ApiToken, Role, User
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import ValidationFailed

_hasher = PasswordHasher()
TOKEN_PREFIX = "amy_"  # noqa: S105  (a prefix, not a secret)
MIN_PASSWORD = 10


def normalise_user_email(email: str) -> str:
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed("email.invalid", str(exc), "email") from exc


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed("password.too_short",
                               f"A password needs at least {MIN_PASSWORD} characters", "password")
    return _hasher.hash(password)


def role_named(db: Session, name: str) -> Role:
    role = db.scalar(select(Role).where(Role.name == name))
    if role is None:
        raise ValidationFailed("role.not_found", f"There is no role '{name}'", "role")
    return role


def create_user(db: Session, *, email: str, name: str, password: str | None = None,
                is_admin: bool = False, role: str | None = None,
                actor_id: uuid.UUID | None = None) -> User:
    """Add a user; the email is their sign-in name and must be unique (case-insensitive).

    Without a role, administrators get 'admin' and everyone else 'sales_rep'.
    """
    clean = normalise_user_email(email)
    if db.scalar(select(User.id).where(func.lower(User.email) == clean)):
        raise ValidationFailed("user.exists", "A user with this email already exists", "email")
    the_role = role_named(db, role or ("admin" if is_admin else "sales_rep"))
    user = User(email=clean, name=name.strip() or clean, is_admin=is_admin, role=the_role,
                password_hash=hash_password(password) if password else None,
                password_changed_at=now() if password else None)
    db.add(user)
    db.flush()
    audit.record(db, actor_id=actor_id, action="create", entity_type="user", entity_id=user.id,
                 changes={"email": [None, clean], "is_admin": [None, is_admin],
                          "role": [None, the_role.name]})
    return user


def authenticate_password(db: Session, *, email: str, password: str) -> User | None:
    user = db.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.is_active or not user.password_hash:
        _hasher.hash("timing-equaliser")  # same cost whether or not the user exists
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now()
    return user


def _digest(token: str) -> str:
    # API tokens are 256-bit random values: a fast hash is enough and keeps lookups cheap.
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(db: Session, *, user: User, name: str,
                     expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Issue a token; the plain value is returned once and only its hash is stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tok = ApiToken(user_id=user.id, name=name, prefix=plain[:12], token_hash=_digest(plain),
                   expires_at=expires_at)
    db.add(tok)
    db.flush()
    audit.record(db, actor_id=user.id, action="create", entity_type="api_token",
                 entity_id=tok.id, changes={"name": [None, name]})
    return tok, plain


def user_for_token(db: Session, plain: str) -> User | None:
    """The active user a bearer token belongs to, or None if unknown, expired or revoked."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    tok = db.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plain)))
    if tok is None or tok.revoked_at is not None:
        return None
    if tok.expires_at is not None and tok.expires_at <= now():
        return None
    if not tok.user.is_active:
        return None
    tok.user.token_scopes = [str(s) for s in (tok.scopes or ["*"])]
    return tok.user


def revoke_api_token(db: Session, *, token: ApiToken, actor_id: uuid.UUID) -> None:
    token.revoked_at = now()
    audit.record(db, actor_id=actor_id, action="revoke", entity_type="api_token",
                 entity_id=token.id)
