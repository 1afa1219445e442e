"""A configured IMAP mailbox and its polling cursor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from amity.core.db import Base
from amity.core.mixins import SoftDelete, Timestamps, UUIDPk, Versioned

SECURITIES = ("ssl", "starttls", "none")
PURPOSES = ("tickets", "timeline")


class Mailbox(UUIDPk, Timestamps, Versioned, SoftDelete, Base):
    """An IMAP folder Amity reads. ``password`` is kept for logging in and never returned.

    ``uid_validity`` + ``last_uid`` are the cursor: messages with a greater UID are new; a
    different UIDVALIDITY means the server renumbered the folder and polling starts over
    (Message-IDs keep that from storing anything twice).
    """

    __tablename__ = "mailboxes"

    name: Mapped[str] = mapped_column(String(100), index=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    security: Mapped[str] = mapped_column(String(10), default="ssl")
    username: Mapped[str] = mapped_column(String(320))
    password: Mapped[str] = mapped_column(String(500))
    folder: Mapped[str] = mapped_column(String(200), default="INBOX")
    purpose: Mapped[str] = mapped_column(String(20))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    uid_validity: Mapped[int | None] = mapped_column(BigInteger, default=None)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    last_polled_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_error_at: Mapped[datetime | None] = mapped_column(default=None)
    # consecutive failed polls; the scheduler waits ``next_poll_at`` before trying again
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_poll_at: Mapped[datetime | None] = mapped_column(default=None)
    stored_count: Mapped[int] = mapped_column(BigInteger, default=0)
    skipped_count: Mapped[int] = mapped_column(BigInteger, default=0)
    quarantined_count: Mapped[int] = mapped_column(BigInteger, default=0)

    @property
    def has_password(self) -> bool:
        return bool(self.password)
