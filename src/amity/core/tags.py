"""Tags shared by every kind of record; each domain keeps its own association table."""

from __future__ import annotations

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

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


def get_or_create_tags(db: Session, names: list[str]) -> list[Tag]:
    """Tags by name (case- and accent-insensitive), creating the missing ones. One query."""
    clean = clean_tag_names(names)
    if not clean:
        return []
    keys = {fold(n): n for n in clean}
    found = {t.key: t for t in db.scalars(select(Tag).where(Tag.key.in_(keys)))}
    result = []
    for key, name in keys.items():
        tag = found.get(key)
        if tag is None:
            tag = Tag(name=name, key=key)
            db.add(tag)
        result.append(tag)
    return result
