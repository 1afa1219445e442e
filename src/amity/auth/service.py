"""Creating users, checking passwords, issuing and checking API tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amity.auth import passwords
from amity.auth.models import ApiToken, Role, User
from amity.auth.permissions import ENTITIES
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import ValidationFailed

_hasher: PasswordHasher = passwords.hasher
TOKEN_PREFIX = "amy_"  # noqa: S105  (a prefix, not a secret)
MIN_PASSWORD = passwords.MIN_LENGTH
TOKEN_TOUCH_EVERY = timedelta(minutes=1)
MAX_SCOPES = 50


def normalise_user_email(email: str) -> str:
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed("email.invalid", str(exc), "email") from exc


def hash_password(password: str, *, email: str | None = None, name: str | None = None) -> str:
    """The one place a password is checked against the rules and hashed (argon2id)."""
    return passwords.hash_password(password, email=email, name=name)


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
                password_hash=hash_password(password, email=clean, name=name)
                if password else None,
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


def scope_covers(held: Sequence[str], wanted: str) -> bool:
    """Does a token holding ``held`` cover the scope ``wanted``?"""
    if "*" in held or wanted in held:
        return True
    entity, _, kind = wanted.partition(":")
    return f"{entity}:*" in held or (kind == "*" and {f"{entity}:read", f"{entity}:write"}
                                     <= set(held))


def clean_scopes(scopes: Sequence[str], *, held: Sequence[str] | None = None) -> list[str]:
    """Validate token scopes: '*' or '<entity>:read|write|*'; within ``held`` if given."""
    if not scopes:
        raise ValidationFailed("token.scopes_empty", "Give at least one scope ('*' for "
                               "everything you may do)", "scopes")
    if len(scopes) > MAX_SCOPES:
        raise ValidationFailed("token.scopes_too_many", f"At most {MAX_SCOPES} scopes",
                               "scopes")
    out: list[str] = []
    for i, raw in enumerate(scopes):
        scope = raw.strip().lower()
        entity, sep, kind = scope.partition(":")
        if scope != "*" and not (sep and entity in ENTITIES and kind in ("read", "write", "*")):
            raise ValidationFailed(
                "token.scope_invalid", f"Unknown scope '{raw[:60]}': use '*' or "
                f"'<entity>:read|write|*' with an entity of {', '.join(ENTITIES)}",
                f"scopes.{i}")
        if held is not None and not scope_covers(held, scope):
            raise ValidationFailed("token.scope_exceeds", f"The token in use does not hold "
                                   f"'{scope}', so it cannot grant it", f"scopes.{i}")
        if scope not in out:
            out.append(scope)
    return ["*"] if "*" in out else out


def create_api_token(db: Session, *, user: User, name: str,
                     expires_at: datetime | None = None,
                     scopes: Sequence[str] = ("*",)) -> tuple[ApiToken, str]:
    """Issue a token; the plain value is returned once and only its hash is stored.

    A request made with a scoped token can only issue tokens within its own scopes.
    """
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= now()):
        raise ValidationFailed("token.expiry", "expires_at must be a future time with a time "
                               "zone", "expires_at")
    clean = clean_scopes(scopes, held=user.token_scopes)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tok = ApiToken(user_id=user.id, name=name, prefix=plain[:12], token_hash=_digest(plain),
                   expires_at=expires_at, scopes=clean)
    db.add(tok)
    db.flush()
    audit.record(db, actor_id=user.id, action="create", entity_type="api_token",
                 entity_id=tok.id, changes={"name": [None, name], "scopes": [None, clean],
                                            "expires_at": [None, expires_at]})
    return tok, plain


def user_for_token(db: Session, plain: str) -> User | None:
    """The active user a bearer token belongs to, or None if unknown, expired or revoked.

    ``last_used_at`` is written only when it is more than a minute old (one UPDATE a minute
    per busy token, not one per request).
    """
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    tok = db.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plain)))
    if tok is None or tok.revoked_at is not None:
        return None
    at = now()
    if tok.expires_at is not None and tok.expires_at <= at:
        return None
    if not tok.user.is_active:
        return None
    if tok.last_used_at is None or at - tok.last_used_at >= TOKEN_TOUCH_EVERY:
        tok.last_used_at = at
    tok.user.token_scopes = [str(s) for s in (tok.scopes or ["*"])]
    return tok.user


def revoke_api_token(db: Session, *, token: ApiToken, actor_id: uuid.UUID) -> None:
    """Revoke now: the next request with the token is refused."""
    if token.revoked_at is None:
        token.revoked_at = now()
        audit.record(db, actor_id=actor_id, action="revoke", entity_type="api_token",
                     entity_id=token.id, changes={"user_id": [None, token.user_id]})


def tokens_of(db: Session, *, user_id: uuid.UUID) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                           .order_by(ApiToken.created_at.desc(), ApiToken.id)))
