"""Merging two or more contacts (or companies) into one, and undoing a merge exactly.

A merge keeps one record (the survivor), takes the fields a person chose from the others (the
losers; by default the survivor's value, or the first loser's where the survivor has none, and
custom fields key by key), and then moves **every** row that points at a loser to the survivor:
each foreign key to the entity's table (found in the metadata, so a table added later is
covered without touching this file) and the polymorphic references (notes, notifications). A
row the survivor already has (the same tag, the same email) is deleted instead of duplicated.
Losers are soft-deleted and listed in ``merged_records``.

Everything changed is written into the ``Merge`` row: the survivor's and losers' rows before,
each moved column's old and new value, each deleted row. ``undo_merge`` puts all of it back
(a moved row that was changed again since keeps its newer value) and the records read exactly
as before, except their ``version``, which keeps counting up so stale ETags stay stale.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.companies.models import Company
from amity.companies.service import SCALARS as COMPANY_FIELDS
from amity.contacts.models import Contact
from amity.contacts.service import JSON_LISTS, refresh_search_keys
from amity.contacts.service import SCALARS as CONTACT_SCALARS
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import Conflict, NotFound, ValidationFailed
from amity.core.events import publish
from amity.core.text import fold
from amity.dedupe import rows
from amity.dedupe.events import MergeUndone, RecordsMerged
from amity.dedupe.models import DuplicateSuggestion, Merge, MergedRecord

MAX_LOSERS = 10
FIELDS = {"contact": (*CONTACT_SCALARS, *JSON_LISTS),
          "company": (*COMPANY_FIELDS, "address")}
MODELS: dict[str, type[Contact] | type[Company]] = {"contact": Contact, "company": Company}
# fields whose value names a record of the same kind: never the merged records themselves
SELF_REFS = {"contact": "referred_by_id", "company": "parent_id"}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def check_request(entity: str, survivor_id: uuid.UUID, loser_ids: list[uuid.UUID],
                  choices: dict[str, uuid.UUID]) -> None:
    """422 for a request that cannot be a merge, before anything is read."""
    if not loser_ids:
        raise ValidationFailed("merge.no_losers", "Name at least one record to merge into "
                               "the survivor", "loser_ids")
    if len(loser_ids) > MAX_LOSERS:
        raise ValidationFailed("merge.too_many", f"At most {MAX_LOSERS} records at once",
                               "loser_ids")
    if survivor_id in loser_ids or len(set(loser_ids)) != len(loser_ids):
        raise ValidationFailed("merge.repeated", "Each record may appear once, and the "
                               "survivor not among the records merged into it", "loser_ids")
    allowed = {*loser_ids, survivor_id}
    for name, source in choices.items():
        if name not in FIELDS[entity] and not name.startswith("custom_fields."):
            raise ValidationFailed("merge.unknown_field", f"'{name}' is not a field that can "
                                   "be chosen", f"choices.{name}")
        if source not in allowed:
            raise ValidationFailed("merge.unknown_source", f"The value of '{name}' must come "
                                   "from one of the merged records", f"choices.{name}")


def _chosen(entity: str, survivor: Any, losers: list[Any],
            choices: dict[str, uuid.UUID]) -> dict[str, Any]:
    """The survivor's new field values (only those that change)."""
    by_id = {r.id: r for r in (survivor, *losers)}
    merged_ids = set(by_id)
    out: dict[str, Any] = {}
    for name in FIELDS[entity]:
        if name in choices:
            value = getattr(by_id[choices[name]], name)
        else:
            value = getattr(survivor, name)
            for loser in losers:
                if not _empty(value):
                    break
                value = getattr(loser, name)
        if name == SELF_REFS[entity] and value in merged_ids:
            value = None
        if value != getattr(survivor, name):
            out[name] = value
    custom = dict(survivor.custom_fields or {})
    for loser in losers:
        for key, value in (loser.custom_fields or {}).items():
            custom.setdefault(key, value)
    for name, source in choices.items():
        if name.startswith("custom_fields."):
            key = name.split(".", 1)[1]
            values = by_id[source].custom_fields or {}
            if key in values:
                custom[key] = values[key]
            else:
                custom.pop(key, None)
    if custom != (survivor.custom_fields or {}):
        out["custom_fields"] = custom
    return out


def _move_references(db: Session, m: Merge, survivor: uuid.UUID, losers: list[uuid.UUID],
                     entity: str) -> None:
    taken: set[tuple[Any, ...]] = set()
    own = rows.ENTITY_TABLES[entity]
    for t, col in rows.referencing_columns(entity):
        stmt = select(*t.columns).where(col.in_(losers))
        if t.name == own:
            stmt = stmt.where(t.c.id.not_in(losers))  # the losers' own rows stay as they were
        for row in db.execute(stmt).all():
            pk = rows.pk_json(t, row)
            if rows.clashes(db, t, col, row, survivor, taken):
                db.execute(delete(t).where(rows.pk_where(t, pk)))
                m.removed.append([t.name, rows.row_json(t, row)])
                continue
            new = None if t.name == own and row._mapping[t.c.id] == survivor else survivor
            values: dict[str, Any] = {col.name: new}
            m.moves.append([t.name, pk, col.name, str(row._mapping[col]), rows.dump(new)])
            if t.name in rows.SAME_VALUE and row._mapping[t.c.is_primary]:
                values["is_primary"] = False  # the survivor keeps its own primary
                m.moves.append([t.name, pk, "is_primary", True, False])
            if "updated_at" in t.c:  # a moved row is not edited: its time stays
                values["updated_at"] = t.c.updated_at
            db.execute(update(t).where(rows.pk_where(t, pk)).values(values))
    for name, kind_col, id_col in rows.POLYMORPHIC:
        t = rows.table(name)
        for row in db.execute(select(*t.columns).where(t.c[kind_col] == entity,
                                                       t.c[id_col].in_(losers))).all():
            pk = rows.pk_json(t, row)
            m.moves.append([name, pk, id_col, str(row._mapping[t.c[id_col]]), str(survivor)])
            values = {id_col: survivor}
            if "updated_at" in t.c:
                values["updated_at"] = t.c.updated_at
            db.execute(update(t).where(rows.pk_where(t, pk)).values(values))


def merge_records(db: Session, *, entity: str, survivor: Any, losers: list[Any],
                  choices: dict[str, uuid.UUID], actor: User) -> Merge:
    """Merge ``losers`` into ``survivor`` (both loaded and access-checked by the caller)."""
    check_request(entity, survivor.id, [r.id for r in losers], choices)
    if any(r.deleted_at is not None for r in (survivor, *losers)):
        raise ValidationFailed("merge.deleted", "A deleted record cannot be merged",
                               "loser_ids")
    t = rows.table(rows.ENTITY_TABLES[entity])
    loser_ids = [r.id for r in losers]
    db.flush()
    snap = {r._mapping[t.c.id]: rows.row_json(t, r) for r in db.execute(
        select(*t.columns).where(t.c.id.in_([survivor.id, *loser_ids]))).all()}
    new_values = _chosen(entity, survivor, losers, choices)
    m = Merge(id=uuid.uuid4(), entity=entity, survivor_id=survivor.id,
              loser_ids=[str(i) for i in loser_ids], actor_id=actor.id,
              choices={k: str(v) for k, v in choices.items()},
              survivor_before=snap[survivor.id], losers_before=[snap[i] for i in loser_ids],
              moves=[], removed=[], suggestions=[])
    actor_id, survivor_id = actor.id, survivor.id
    _move_references(db, m, survivor_id, loser_ids, entity)
    _close_suggestions(db, m, entity, {survivor_id, *loser_ids}, actor_id)
    db.add(m)
    db.flush()
    db.expire_all()  # the moves went around the ORM: read the survivor's emails etc. again
    model = MODELS[entity]
    kept = db.get(model, survivor_id)
    assert kept is not None
    for name, value in new_values.items():
        setattr(kept, name, value)
    if isinstance(kept, Contact):
        refresh_search_keys(kept)
    elif isinstance(kept, Company):
        kept.sort_name = fold(kept.name)
    at = now()
    for loser_id in loser_ids:
        gone = db.get(model, loser_id)
        assert gone is not None
        gone.deleted_at = at
        db.add(MergedRecord(record_id=loser_id, entity=entity, merged_into_id=survivor_id,
                            merge_id=m.id))
        audit.record(db, actor_id=actor_id, action="merged_into", entity_type=entity,
                     entity_id=loser_id, changes={"merged_into": str(survivor_id),
                                                  "merge_id": str(m.id)})
    audit.record(db, actor_id=actor_id, action="merge", entity_type=entity,
                 entity_id=survivor_id,
                 changes={"merged": [str(i) for i in loser_ids], "merge_id": str(m.id),
                          **{k: [snap[survivor_id].get(k), rows.dump(v)]
                             for k, v in new_values.items()}})
    publish(db, RecordsMerged(merge_id=m.id, record_type=entity, survivor_id=survivor_id,
                              loser_ids=loser_ids))
    db.flush()
    return m


def _close_suggestions(db: Session, m: Merge, entity: str, ids: set[uuid.UUID],
                       actor_id: uuid.UUID) -> None:
    """Suggestions between records of this merge are done; others naming a loser now name
    nothing that can be merged, so they close too (undo reopens them all)."""
    found = db.scalars(select(DuplicateSuggestion).where(
        DuplicateSuggestion.entity == entity, DuplicateSuggestion.status == "open",
        (DuplicateSuggestion.a_id.in_(ids - {m.survivor_id}))
        | (DuplicateSuggestion.b_id.in_(ids - {m.survivor_id}))
        | (DuplicateSuggestion.a_id.in_(ids) & DuplicateSuggestion.b_id.in_(ids))))
    for s in found:
        m.suggestions.append([str(s.id), s.status])
        s.status, s.merge_id, s.decided_by_id, s.decided_at = "merged", m.id, actor_id, now()


def get_merge(db: Session, merge_id: uuid.UUID) -> Merge:
    m = db.get(Merge, merge_id)
    if m is None:
        raise NotFound("merge")
    return m


def _restore_row(db: Session, entity: str, data: dict[str, Any]) -> None:
    t = rows.table(rows.ENTITY_TABLES[entity])
    values = rows.row_values(t, {k: v for k, v in data.items() if k not in ("id", "version")})
    values["version"] = t.c.version + 1
    db.execute(update(t).where(t.c.id == uuid.UUID(data["id"])).values(values))


def undo_merge(db: Session, *, merge: Merge, actor: User) -> Merge:
    """Put everything a merge changed back; 409 if it was undone already or a record it
    touched was deleted or restored since."""
    if merge.undone_at is not None:
        raise Conflict("merge.undone", "This merge has already been undone")
    model = MODELS[merge.entity]
    kept = db.get(model, merge.survivor_id)
    if kept is None or kept.deleted_at is not None:
        raise Conflict("merge.survivor_gone", "The merged record has been deleted since; "
                       "restore it first")
    for data in merge.losers_before:
        loser = db.get(model, uuid.UUID(data["id"]))
        if loser is None or loser.deleted_at is None:
            raise Conflict("merge.loser_changed", "A merged record was restored or erased "
                           "since, so the merge cannot be undone exactly")
    for name, data in merge.removed:
        t = rows.table(name)
        db.execute(insert(t).values(rows.row_values(t, data)))
    for name, pk, column, old, new in reversed(merge.moves):
        t = rows.table(name)
        values: dict[str, Any] = {column: rows.load(t.c[column], old)}
        if "updated_at" in t.c:
            values["updated_at"] = t.c.updated_at
        current = t.c[column] == rows.load(t.c[column], new) if new is not None \
            else t.c[column].is_(None)
        if column in pk:  # a key column (contact_tags): the row is found by its new key
            pk = {**pk, column: new}
        db.execute(update(t).where(rows.pk_where(t, pk), current).values(values))
    _restore_row(db, merge.entity, merge.survivor_before)
    for data in merge.losers_before:
        _restore_row(db, merge.entity, data)
    db.execute(delete(MergedRecord).where(MergedRecord.merge_id == merge.id))
    previous = {uuid.UUID(i): status for i, status in merge.suggestions}
    for s in db.scalars(select(DuplicateSuggestion).where(
            DuplicateSuggestion.id.in_(list(previous)))):
        s.status, s.merge_id, s.decided_by_id, s.decided_at = previous[s.id], None, None, None
    merge.undone_at, merge.undone_by_id = now(), actor.id
    for record_id in (merge.survivor_id, *[uuid.UUID(i) for i in merge.loser_ids]):
        audit.record(db, actor_id=actor.id, action="unmerge", entity_type=merge.entity,
                     entity_id=record_id, changes={"merge_id": str(merge.id)})
    publish(db, MergeUndone(merge_id=merge.id, record_type=merge.entity,
                            survivor_id=merge.survivor_id))
    db.flush()
    db.expire_all()
    return merge
