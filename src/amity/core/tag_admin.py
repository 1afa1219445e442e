"""Managing the shared tags: how many records use each, rename, merge one into another, delete.

Tags belong to no domain (``core.tags``); each domain links them through its own association
table (contact_tags, company_tags, ticket_tags ...). This module finds those tables from the
metadata (every table with a foreign key to ``tags.id``), so it needs no import of a domain and
a new domain's tags are covered without a change here. Each operation is a fixed number of
statements per association table and writes one audit entry.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session

from amity.core import audit
from amity.core.db import Base
from amity.core.errors import Conflict, NotFound, ValidationFailed
from amity.core.tags import Tag, clean_tag_names
from amity.core.text import fold

_SESSION_TAGS = "amity.core.tags"  # core.tags' per-session cache of resolved tags


def _links() -> list[tuple[Table, str]]:
    """(association table, the column naming the tagged record) for every tagged kind."""
    found = []
    for table in Base.metadata.sorted_tables:
        tag_cols = [fk.parent.name for fk in table.foreign_keys
                    if fk.column.table.name == "tags" and fk.column.name == "id"]
        if tag_cols == ["tag_id"] and table.name != "tags":
            others = [c.name for c in table.primary_key.columns if c.name != "tag_id"]
            if len(others) == 1:
                found.append((table, others[0]))
    return found


def kind_of(table: Table) -> str:
    return table.name.removesuffix("_tags")


def tag_usage(db: Session) -> list[tuple[Tag, dict[str, int]]]:
    """Every tag with how many records of each kind carry it (one statement per kind)."""
    tags = list(db.scalars(select(Tag).order_by(Tag.key)))
    counts: dict[uuid.UUID, dict[str, int]] = {t.id: {} for t in tags}
    for table, _ in _links():
        for tag_id, n in db.execute(select(table.c.tag_id, func.count())
                                    .group_by(table.c.tag_id)):
            if tag_id in counts:
                counts[tag_id][kind_of(table)] = int(n)
    return [(t, counts[t.id]) for t in tags]


def get_tag(db: Session, tag_id: uuid.UUID) -> Tag:
    tag = db.get(Tag, tag_id)
    if tag is None:
        raise NotFound("tag")
    return tag


def _forget(db: Session) -> None:
    db.info.pop(_SESSION_TAGS, None)  # resolved tags may have been renamed or deleted


def rename_tag(db: Session, *, tag: Tag, name: str, actor_id: uuid.UUID) -> Tag:
    """A new name for every record carrying it; a name another tag has is refused (merge)."""
    cleaned = clean_tag_names([name])
    if not cleaned:
        raise ValidationFailed("tag.name_required", "Give the tag a name", "name")
    new = cleaned[0]
    clash = db.scalar(select(Tag.id).where(Tag.key == fold(new), Tag.id != tag.id))
    if clash is not None:
        raise Conflict("tag.name_taken", f"Another tag is already called '{new}'; merge the "
                       "two instead", "name")
    if new != tag.name:
        before = tag.name
        tag.name, tag.key = new, fold(new)
        db.flush()
        audit.record(db, actor_id=actor_id, action="update", entity_type="tag",
                     entity_id=tag.id, changes={"name": [before, new]})
        _forget(db)
    return tag


def merge_tags(db: Session, *, source: Tag, target: Tag, actor_id: uuid.UUID) -> dict[str, int]:
    """Every record tagged ``source`` gets ``target`` instead (once), then ``source`` goes.
    Returns how many records of each kind were moved."""
    if source.id == target.id:
        raise ValidationFailed("tag.merge_same", "Choose another tag to merge into", "into")
    moved: dict[str, int] = {}
    for table, other in _links():
        col = table.c[other]
        # records that already carry the target just lose the source
        db.execute(delete(table).where(table.c.tag_id == source.id, col.in_(
            select(col).where(table.c.tag_id == target.id).scalar_subquery())))
        result = db.execute(update(table).where(table.c.tag_id == source.id)
                            .values(tag_id=target.id))
        moved[kind_of(table)] = int(getattr(result, "rowcount", 0) or 0)
    changes: dict[str, Any] = {"merged_into": [None, str(target.id)], "name": [source.name, None],
                               **{k: [None, v] for k, v in moved.items() if v}}
    db.delete(source)
    db.flush()
    db.expire_all()  # records loaded earlier must not keep the old tag
    audit.record(db, actor_id=actor_id, action="merge", entity_type="tag", entity_id=source.id,
                 changes=changes)
    _forget(db)
    return moved


def delete_tag(db: Session, *, tag: Tag, actor_id: uuid.UUID) -> dict[str, int]:
    """Take the tag off every record and delete it; returns the records untagged per kind."""
    removed: dict[str, int] = {}
    for table, _ in _links():
        result = db.execute(delete(table).where(table.c.tag_id == tag.id))
        removed[kind_of(table)] = int(getattr(result, "rowcount", 0) or 0)
    name, tag_id = tag.name, tag.id
    db.delete(tag)
    db.flush()
    db.expire_all()
    audit.record(db, actor_id=actor_id, action="delete", entity_type="tag", entity_id=tag_id,
                 changes={"name": [name, None], **{k: [v, 0] for k, v in removed.items() if v}})
    _forget(db)
    return removed
