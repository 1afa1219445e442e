"""Reading suggestions: lists scoped to what the reader may see, briefs of the paired records."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core.errors import ValidationFailed
from amity.core.pagination import Page, Sort, keyset, page_of
from amity.dedupe.models import STATUSES, DuplicateSuggestion
from amity.dedupe.schemas import RecordBrief

# (select over a model, the model) -> the same select restricted to what the reader may see
Visible = Callable[[Select[Any], Any], Select[Any]]
_SCORE = Sort("score", DuplicateSuggestion.score, descending=True)


def list_suggestions(db: Session, *, entity: str, status: str | None, min_score: float | None,
                     record_id: uuid.UUID | None, visible: Visible, cursor: str | None,
                     limit: int) -> Page[DuplicateSuggestion]:
    """Best first; only pairs whose two records are live and visible to the reader."""
    if status is not None and status not in STATUSES:
        raise ValidationFailed("duplicates.status", "status is open, dismissed or merged",
                               "status")
    model: Any = Contact if entity == "contact" else Company
    a, b = aliased(model), aliased(model)
    stmt = select(DuplicateSuggestion).where(DuplicateSuggestion.entity == entity)
    if status is not None:
        stmt = stmt.where(DuplicateSuggestion.status == status)
    if min_score is not None:
        stmt = stmt.where(DuplicateSuggestion.score >= min_score)
    if record_id is not None:
        stmt = stmt.where((DuplicateSuggestion.a_id == record_id)
                          | (DuplicateSuggestion.b_id == record_id))
    for side, col in ((a, DuplicateSuggestion.a_id), (b, DuplicateSuggestion.b_id)):
        ids = visible(select(side.id), side)
        if status != "merged":  # a merged pair has a deleted side by nature
            ids = ids.where(side.deleted_at.is_(None))
        stmt = stmt.where(col.in_(ids))
    rows = list(db.scalars(keyset(stmt, _SCORE, DuplicateSuggestion.id,
                                  cursor, limit)))
    return page_of(rows, _SCORE, limit, key=lambda s: s.score)


def briefs(db: Session, entity: str, ids: set[uuid.UUID]) -> dict[uuid.UUID, RecordBrief]:
    """Short descriptions of the records named by suggestions (one statement)."""
    if not ids:
        return {}
    if entity == "contact":
        contacts = db.scalars(select(Contact).where(Contact.id.in_(ids)))
        return {c.id: RecordBrief(id=c.id, name=c.display_name, email=c.primary_email,
                                  phone=c.primary_phone, owner_id=c.owner_id,
                                  city=(c.addresses[0].get("city") if c.addresses else None))
                for c in contacts}
    companies = db.scalars(select(Company).where(Company.id.in_(ids)))
    return {c.id: RecordBrief(id=c.id, name=c.name, email=c.domain, phone=c.phone,
                              owner_id=c.owner_id,
                              city=(c.address or {}).get("city")) for c in companies}


def open_count_for(db: Session, entity: str, record_id: uuid.UUID) -> int:
    """How many open suggestions name this record (the contact page's link)."""
    return len(db.scalars(select(DuplicateSuggestion.id).where(
        DuplicateSuggestion.entity == entity, DuplicateSuggestion.status == "open",
        (DuplicateSuggestion.a_id == record_id) | (DuplicateSuggestion.b_id == record_id))
        .limit(100)).all())
