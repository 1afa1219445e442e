"""Tags shared by every kind of record; each domain keeps its own association table."""

from __future__ import annotations

import uuid
from typing import cast

from sqlalchemy import String, Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from amity.core.clock import now
from amity.core.db import Base
from amity.core.errors import ValidationFailed
from amity.core.mixins import Timestamps, UUIDPk
from amity.core.text import fold


class Tag(UUIDPk, Timestamps, Base):
    __tablename__ = "tags"

    name: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(80), unique=True)  # folded name
    color: Mapped[str | None] = mapped_column(String(20))


def clean_tag_names(names: list[str]) -> list[str]:
    out: dict[str, str] = {}
    for raw in names:
        name = " ".join(str(raw).split())
        if not name:
            continue
        if len(name) > 80:
            raise ValidationFailed("tag.too_long", "A tag is at most 80 characters", "tags")
        out.setdefault(fold(name), name)
    return list(out.values())


_SESSION_TAGS = "amity.core.tags"  # Session.info key: the tags this session has resolved


def _known(db: Session) -> dict[str, Tag]:
    """Tags resolved earlier in this session, by key, still attached to it.

    A bulk create resolves tags item by item; remembering them means a tag made for item 3 is
    found for item 7 without flushing (a flush per item made a bulk of 100 cost 403 statements
    instead of 66). A tag made in a transaction that was rolled back has left the session and
    is forgotten here too.
    """
    known: dict[str, Tag] = db.info.setdefault(_SESSION_TAGS, {})
    for key in [k for k, tag in known.items() if tag not in db]:
        del known[key]
    return known


def get_or_create_tags(db: Session, names: list[str]) -> list[Tag]:
    """Tags by name (case- and accent-insensitive), creating the missing ones.

    At most one SELECT for the keys this session has not seen yet (none if it has seen them
    all); on PostgreSQL a new tag costs an ``INSERT ... ON CONFLICT DO NOTHING`` and a SELECT,
    so two requests making the same new tag at once both succeed (the second waits for the
    first to commit) instead of one failing on the unique key. SQLite serialises writers
    (``BEGIN IMMEDIATE``), so there a pending ``Tag`` is enough.
    """
    clean = clean_tag_names(names)
    if not clean:
        return []
    keys = {fold(n): n for n in clean}
    known = _known(db)
    unseen = [k for k in keys if k not in known]
    if unseen:
        with db.no_autoflush:
            known.update((t.key, t) for t in db.scalars(select(Tag).where(Tag.key.in_(unseen))))
        missing = [k for k in unseen if k not in known]
        if missing and db.get_bind().dialect.name == "postgresql":
            at = now()
            rows = [{"id": uuid.uuid4(), "name": keys[k], "key": k, "created_at": at,
                     "updated_at": at} for k in missing]
            with db.no_autoflush:
                db.execute(pg_insert(cast(Table, Tag.__table__)).values(rows)
                           .on_conflict_do_nothing(index_elements=["key"]))
                known.update((t.key, t) for t in
                             db.scalars(select(Tag).where(Tag.key.in_(missing))))
        for key in missing:
            if key not in known:  # SQLite
                tag = Tag(name=keys[key], key=key)
                db.add(tag)
                known[key] = tag
    return [known[k] for k in keys]
