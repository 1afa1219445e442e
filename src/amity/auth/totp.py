"""Optional two-factor sign-in with time-based one-time codes (RFC 6238, 30 s, 6 digits).

Enrolment stores a new secret with ``totp_enabled`` False; confirming it with a code from the
authenticator app turns it on. A code is accepted one step either side of now, and never twice:
``totp_last_step`` remembers the last step used. An administrator can reset a user's 2FA when
they lost their device.
"""

from __future__ import annotations

import uuid

import pyotp
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import ValidationFailed

ISSUER = "Amity"
STEP = 30
WINDOW = 1  # steps either side (clock drift between server and phone)


def _clean(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace())


def matching_step(secret: str, code: str) -> int | None:
    """The time step ``code`` belongs to (within the drift window), or None."""
    code = _clean(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP)
    current = int(now().timestamp()) // STEP
    for step in range(current - WINDOW, current + WINDOW + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


def verify_code(user: User, code: str) -> bool:
    """Check a sign-in code for a user with 2FA on; a code already used is refused."""
    if not user.totp_enabled or not user.totp_secret:
        return False
    step = matching_step(user.totp_secret, code)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def provisioning_uri(user: User) -> str:
    if not user.totp_secret:
        raise ValidationFailed("totp.not_started", "Start setting up two-factor sign-in first")
    return pyotp.TOTP(user.totp_secret, interval=STEP).provisioning_uri(
        name=user.email, issuer_name=ISSUER)


def start_totp_enrolment(db: Session, *, user: User) -> str:
    """A new secret for the user's authenticator app (2FA is not on until confirmed)."""
    if user.totp_enabled:
        raise ValidationFailed("totp.already_enabled", "Two-factor sign-in is already on")
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    audit.record(db, actor_id=user.id, action="totp_enrol_start", entity_type="user",
                 entity_id=user.id)
    return user.totp_secret


def confirm_totp_enrolment(db: Session, *, user: User, code: str) -> None:
    if user.totp_enabled:
        raise ValidationFailed("totp.already_enabled", "Two-factor sign-in is already on")
    step = matching_step(user.totp_secret, code) if user.totp_secret else None
    if step is None:
        raise ValidationFailed("totp.wrong_code", "That code is not right; check the time on "
                               "your phone and try the next code", "code")
    user.totp_enabled, user.totp_last_step = True, step
    audit.record(db, actor_id=user.id, action="totp_enable", entity_type="user",
                 entity_id=user.id, changes={"totp_enabled": [False, True]})


def disable_totp(db: Session, *, user: User, code: str) -> None:
    """The user turns 2FA off, proving they still hold the device."""
    if not user.totp_enabled:
        raise ValidationFailed("totp.not_enabled", "Two-factor sign-in is not on")
    if not verify_code(user, code):
        raise ValidationFailed("totp.wrong_code", "That code is not right", "code")
    _turn_off(user)
    audit.record(db, actor_id=user.id, action="totp_disable", entity_type="user",
                 entity_id=user.id, changes={"totp_enabled": [True, False]})


def reset_totp(db: Session, *, user: User, actor_id: uuid.UUID | None) -> None:
    """Recovery: an administrator turns a user's 2FA off (they can enrol again)."""
    was = user.totp_enabled
    _turn_off(user)
    audit.record(db, actor_id=actor_id, action="totp_reset", entity_type="user",
                 entity_id=user.id, changes={"totp_enabled": [was, False]})


def _turn_off(user: User) -> None:
    user.totp_enabled, user.totp_secret, user.totp_last_step = False, None, None
