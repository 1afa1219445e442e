"""What erasing a person means for duplicates: their merge records (which hold copies of
their rows) and the suggestions naming them are deleted, so no copy of their data is left and
a merge involving them can no longer be undone."""

from __future__ import annotations

import uuid

from sqlalchemy import Text, cast, delete, or_, select
from sqlalchemy.orm import Session

from amity.dedupe.models import DuplicateSuggestion, Merge, MergedRecord


def erase_dedupe(db: Session, *, contact_id: uuid.UUID) -> int:
    """Delete the contact's merges and suggestions; returns the number of merges deleted."""
    merge_ids = list(db.scalars(select(Merge.id).where(
        Merge.entity == "contact",
        or_(Merge.survivor_id == contact_id,
            cast(Merge.loser_ids, Text).contains(str(contact_id))))))
    if merge_ids:
        db.execute(delete(MergedRecord).where(MergedRecord.merge_id.in_(merge_ids)))
        db.execute(delete(Merge).where(Merge.id.in_(merge_ids)))
    db.execute(delete(DuplicateSuggestion).where(
        DuplicateSuggestion.entity == "contact",
        or_(DuplicateSuggestion.a_id == contact_id, DuplicateSuggestion.b_id == contact_id)))
    return len(merge_ids)
