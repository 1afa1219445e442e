"""Polling one mailbox: fetch what is new since the cursor, store each message, move on.

The server is talked to outside any database transaction. Each message is then stored in a
transaction of its own that also locks the mailbox row, re-reads the cursor (a message another
run stored already is skipped) and advances it: a crash re-fetches at most the message it was
on, and storing it again is a no-op (its Message-ID is known). A message that cannot be read
or is refused by the rules is quarantined (its bytes kept, ``ticket.mail_quarantined``
published) and the cursor moves past it. A connection, login or folder failure is recorded
on the mailbox (``last_error``, ``failures``, ``next_poll_at`` for the scheduler's backoff)
and raised as ``ImapFailed`` so the job is retried.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.core.clock import now
from amity.core.errors import DomainError
from amity.mail.imap import Folder, ImapFailed, open_folder
from amity.mail.models import Mailbox
from amity.mail.service import account
from amity.mail.timeline import log_email
from amity.tickets.attachments import AttachmentStore
from amity.tickets.inbound import Unreadable, intake_actor, quarantine, receive_message

log = logging.getLogger("amity.mail")
BATCH = 200  # messages per run at most; the next run goes on
BACKOFF_MAX = timedelta(hours=1)


@dataclass(frozen=True)
class PollSettings:
    store: AttachmentStore
    quarantine_dir: Path
    max_bytes: int


@dataclass
class PollResult:
    stored: int = 0
    duplicates: int = 0
    skipped: int = 0
    quarantined: int = 0
    outcomes: list[str] = field(default_factory=list)


def backoff(failures: int) -> timedelta:
    return min(BACKOFF_MAX, timedelta(minutes=2 ** max(0, failures - 1)))


def _set(db: Session, mailbox_id: uuid.UUID, **values: object) -> None:
    # not a versioned ORM update: polling must not make an administrator's edit stale
    db.execute(update(Mailbox).where(Mailbox.id == mailbox_id).values(**values)
               .execution_options(synchronize_session=False))


def _locked(db: Session, mailbox_id: uuid.UUID) -> Mailbox | None:
    return db.scalar(select(Mailbox).where(Mailbox.id == mailbox_id)
                     .with_for_update().execution_options(populate_existing=True))


def record_failure(db: Session, mailbox_id: uuid.UUID, error: str) -> None:
    """Note a failed poll on the mailbox in its own transaction (the caller's is dropped)."""
    db.rollback()
    m = _locked(db, mailbox_id)
    if m is not None:
        failures = (m.failures or 0) + 1
        _set(db, mailbox_id, last_error=error[:2000], last_error_at=now(), failures=failures,
             next_poll_at=now() + backoff(failures))
    db.commit()


def _store(db: Session, m: Mailbox, raw: bytes, actor: User,
           settings: PollSettings) -> str:
    if m.purpose == "tickets":
        return receive_message(db, raw=raw, store=settings.store, actor=actor).outcome
    return log_email(db, raw=raw, actor=actor).outcome


def _one(db: Session, mailbox_id: uuid.UUID, uid_validity: int, uid: int, raw: bytes,
         too_big: bool, settings: PollSettings, result: PollResult) -> None:
    m = _locked(db, mailbox_id)
    if m is None or m.deleted_at is not None or not m.enabled:
        db.rollback()
        return
    last = m.last_uid if m.uid_validity == uid_validity else 0
    if uid <= last:  # another run stored it meanwhile
        db.rollback()
        return
    actor = intake_actor(db)
    if actor is None:
        raise ImapFailed("no active administrator to record received mail as")
    reason = f"the message is over {settings.max_bytes:,} bytes" if too_big else None
    outcome = "quarantined"
    if reason is None:
        try:
            with db.begin_nested():
                outcome = _store(db, m, raw, actor, settings)
        except Unreadable as exc:
            reason = exc.reason
        except DomainError as exc:
            reason = exc.message
        except SQLAlchemyError:
            raise
        except Exception as exc:  # a message the code cannot handle must not block the rest
            log.exception("mailbox %s: message UID %s could not be stored", m.name, uid)
            reason = f"the message could not be stored ({type(exc).__name__})"
    if reason is not None:
        quarantine(db, raw=raw, reason=f"mailbox {m.name}, UID {uid}: {reason}",
                   directory=settings.quarantine_dir)
    counter = {"created": "stored_count", "commented": "stored_count",
               "logged": "stored_count", "skipped": "skipped_count",
               "quarantined": "quarantined_count"}.get(outcome)
    values: dict[str, object] = {"uid_validity": uid_validity, "last_uid": uid}
    if counter is not None:
        values[counter] = getattr(m, counter) + 1
    _set(db, mailbox_id, **values)
    db.commit()
    result.outcomes.append(outcome)
    if outcome in ("created", "commented", "logged"):
        result.stored += 1
    elif outcome == "duplicate":
        result.duplicates += 1
    elif outcome == "skipped":
        result.skipped += 1
    else:
        result.quarantined += 1


def _run(db: Session, folder: Folder, mailbox_id: uuid.UUID, start: int,
         settings: PollSettings, heartbeat: Callable[[], None], result: PollResult) -> None:
    for uid, size in folder.sizes_after(start)[:BATCH]:
        heartbeat()
        too_big = size > settings.max_bytes
        raw = folder.fetch(uid, headers_only=too_big)
        _one(db, mailbox_id, folder.uid_validity, uid, raw, too_big, settings, result)


def poll_mailbox(db: Session, *, mailbox_id: uuid.UUID, settings: PollSettings,
                 heartbeat: Callable[[], None] = lambda: None) -> PollResult | None:
    """Store what is new in the mailbox (None if it is deleted or disabled). Commits."""
    m = db.get(Mailbox, mailbox_id)
    if m is None or m.deleted_at is not None or not m.enabled:
        return None
    acct = account(m)
    start = m.last_uid if m.uid_validity is not None else 0
    known_validity = m.uid_validity
    db.commit()  # no transaction (nor SQLite write lock) while talking to the server
    result = PollResult()
    try:
        with open_folder(acct) as folder:
            if known_validity != folder.uid_validity:
                start = 0  # renumbered (or first poll): from the start, Message-IDs dedupe
            _run(db, folder, mailbox_id, start, settings, heartbeat, result)
            validity = folder.uid_validity
    except ImapFailed as exc:
        record_failure(db, mailbox_id, str(exc))
        raise
    m = _locked(db, mailbox_id)
    if m is not None:
        values: dict[str, object] = {"last_polled_at": now(), "last_error": None,
                                     "failures": 0, "next_poll_at": None,
                                     "uid_validity": validity}
        if m.uid_validity != validity:
            values["last_uid"] = 0
        _set(db, mailbox_id, **values)
    db.commit()
    return result
