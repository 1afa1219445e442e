"""Reading scores: a contact's current score, its breakdown by rule and its history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.core.clock import now
from amity.scoring.engine import LOOKBACK, behaviour_total
from amity.scoring.models import ContactScore, ScoreEntry, ScoringRule
from amity.scoring.rules import current_threshold

HISTORY_LIMIT = 100


@dataclass
class RulePart:
    rule_id: uuid.UUID
    name: str
    kind: str
    points: int


@dataclass
class ScoreView:
    contact_id: uuid.UUID
    score: int
    threshold: int
    hot: bool
    hot_since: datetime | None
    crossings: int
    computed_at: datetime | None
    breakdown: list[RulePart] = field(default_factory=list)
    history: list[ScoreEntry] = field(default_factory=list)


def score_view(db: Session, contact_id: uuid.UUID, *, history: int = HISTORY_LIMIT
               ) -> ScoreView:
    """The score as it is worth now (decay applied to the stored awards; nothing written)."""
    at = now()
    row = db.get(ContactScore, contact_id)
    threshold = current_threshold(db)
    rules = {r.id: r for r in db.scalars(select(ScoringRule).where(
        ScoringRule.deleted_at.is_(None), ScoringRule.enabled.is_(True)))}
    entries = list(db.scalars(select(ScoreEntry).where(
        ScoreEntry.contact_id == contact_id, ScoreEntry.kind == "behaviour",
        ScoreEntry.occurred_at >= at - LOOKBACK)))
    parts = [RulePart(rid, rules[rid].name, "behaviour", round(v))
             for rid, v in behaviour_total(entries, rules, at).items()]
    for rid, points in ((row.profile or {}) if row is not None else {}).items():
        rule = rules.get(uuid.UUID(rid))
        if rule is not None:
            parts.append(RulePart(rule.id, rule.name, "profile", int(points)))
    parts.sort(key=lambda p: (-abs(p.points), p.name))
    recent = list(db.scalars(select(ScoreEntry).where(ScoreEntry.contact_id == contact_id)
                             .order_by(ScoreEntry.occurred_at.desc(), ScoreEntry.id.desc())
                             .limit(history)))
    return ScoreView(contact_id=contact_id, score=sum(p.points for p in parts),
                     threshold=threshold, hot=bool(row and row.hot),
                     hot_since=row.hot_since if row else None,
                     crossings=row.crossings if row else 0,
                     computed_at=row.computed_at if row else None, breakdown=parts,
                     history=recent)
