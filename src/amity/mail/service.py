"""Mailbox settings: create, change, delete, list, and trying a login.

Every write is audit-logged with the password masked. 'none' security (no TLS) is refused for
any host that is not a loopback address. Changing where a mailbox reads (host, port,
username, folder) forgets its cursor: the next poll starts over, and Message-IDs keep it from
storing anything twice.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from amity.mail.imap import Account, ImapFailed, is_loopback, open_folder
from amity.mail.models import Mailbox
from amity.mail.schemas import MailboxCheck, MailboxCreate, MailboxUpdate

FIELDS = ("name", "host", "port", "security", "username", "password", "folder", "purpose",
          "enabled")
_WHERE = ("host", "port", "username", "folder")
audit.register_sensitive("mailbox", "password")


def _snapshot(m: Mailbox) -> dict[str, Any]:
    return {k: getattr(m, k) for k in FIELDS}


def _check(db: Session, m: Mailbox) -> None:
    if m.security == "none" and not is_loopback(m.host):
        raise ValidationFailed("mailbox.insecure", "security 'none' (no TLS) is only allowed "
                               "for a loopback host such as 127.0.0.1", "security")
    q = select(Mailbox.id).where(Mailbox.name == m.name, Mailbox.deleted_at.is_(None),
                                 Mailbox.id != m.id)
    if db.scalar(q) is not None:
        raise Conflict("mailbox.name_taken", "A mailbox with this name exists", "name")


def default_port(security: str) -> int:
    return 993 if security == "ssl" else 143


def create_mailbox(db: Session, *, data: MailboxCreate, actor: User) -> Mailbox:
    values = data.model_dump()
    if values["port"] is None:
        values["port"] = default_port(values["security"])
    m = Mailbox(id=uuid.uuid4(), last_uid=0, failures=0, stored_count=0, skipped_count=0,
                quarantined_count=0, **values)
    _check(db, m)
    db.add(m)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="mailbox", entity_id=m.id,
                 changes=audit.diff({}, _snapshot(m)))
    return m


def update_mailbox(db: Session, *, mailbox: Mailbox, data: MailboxUpdate, actor: User,
                   expected_version: int | None = None) -> Mailbox:
    version = data.version if data.version is not None else expected_version
    if version is not None and version != mailbox.version:
        raise PreconditionFailed()
    values = {k: v for k, v in data.model_dump(exclude_unset=True, exclude={"version"}).items()
              if v is not None}
    if "security" in values and "port" not in values and \
            mailbox.port == default_port(mailbox.security):
        values["port"] = default_port(values["security"])
    before = _snapshot(mailbox)
    with db.no_autoflush:
        for key, value in values.items():
            setattr(mailbox, key, value)
        _check(db, mailbox)
    changes = audit.diff(before, _snapshot(mailbox))
    if not changes:
        return mailbox
    if any(k in changes for k in _WHERE):
        mailbox.uid_validity, mailbox.last_uid = None, 0
    if "enabled" in changes or any(k in changes for k in (*_WHERE, "password", "security")):
        mailbox.failures, mailbox.next_poll_at = 0, None
    mailbox.updated_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="update", entity_type="mailbox",
                 entity_id=mailbox.id, changes=changes)
    return mailbox


def delete_mailbox(db: Session, *, mailbox: Mailbox, actor: User) -> None:
    mailbox.deleted_at = now()
    mailbox.enabled = False
    db.flush()
    audit.record(db, actor_id=actor.id, action="delete", entity_type="mailbox",
                 entity_id=mailbox.id)


def live_mailbox(db: Session, mailbox_id: uuid.UUID) -> Mailbox:
    m = db.get(Mailbox, mailbox_id)
    if m is None or m.deleted_at is not None:
        raise NotFound("mailbox")
    return m


def mailbox_named(db: Session, name: str) -> Mailbox:
    m = db.scalar(select(Mailbox).where(Mailbox.name == name, Mailbox.deleted_at.is_(None)))
    if m is None:
        raise NotFound("mailbox", f"No mailbox named {name!r}")
    return m


def list_mailboxes(db: Session) -> list[Mailbox]:
    return list(db.scalars(select(Mailbox).where(Mailbox.deleted_at.is_(None))
                           .order_by(Mailbox.name, Mailbox.id).limit(500)))


def account(m: Mailbox) -> Account:
    return Account(host=m.host, port=m.port, security=m.security, username=m.username,
                   password=m.password, folder=m.folder)


def check_mailbox(mailbox: Mailbox) -> MailboxCheck:
    """Log in and open the folder (read-only); the outcome, never an exception."""
    try:
        with open_folder(account(mailbox)) as folder:
            return MailboxCheck(ok=True, uid_validity=folder.uid_validity,
                                messages=folder.exists)
    except ImapFailed as exc:
        return MailboxCheck(ok=False, error=str(exc)[:1000])
