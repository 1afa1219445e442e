"""Deciding on a suggestion: dismiss it (it never comes back from a scan) or open it again."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import Conflict, NotFound
from amity.dedupe.models import DuplicateSuggestion


def get_suggestion(db: Session, suggestion_id: uuid.UUID) -> DuplicateSuggestion:
    s = db.get(DuplicateSuggestion, suggestion_id)
    if s is None:
        raise NotFound("duplicate")
    return s


def dismiss_suggestion(db: Session, *, suggestion: DuplicateSuggestion,
                       actor: User) -> DuplicateSuggestion:
    """Mark the pair as not duplicates; dismissing twice is a no-op, a merged pair a 409."""
    if suggestion.status == "merged":
        raise Conflict("duplicate.merged", "This pair has been merged; undo the merge instead")
    if suggestion.status != "dismissed":
        suggestion.status, suggestion.decided_at, suggestion.decided_by_id = (
            "dismissed", now(), actor.id)
        audit.record(db, actor_id=actor.id, action="dismiss_duplicate",
                     entity_type=suggestion.entity, entity_id=suggestion.a_id,
                     changes={"other": str(suggestion.b_id), "suggestion": str(suggestion.id)})
        db.flush()
    return suggestion
