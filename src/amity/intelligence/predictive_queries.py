"""Reading the stored deal scores (one deal, or the cards of a board in one statement)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.intelligence.tables import DealPrediction


def for_deal(db: Session, deal_id: uuid.UUID) -> DealPrediction | None:
    return db.get(DealPrediction, deal_id)


def for_deals(db: Session, deal_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, DealPrediction]:
    ids = list(deal_ids)
    if not ids:
        return {}
    return {p.deal_id: p for p in db.scalars(select(DealPrediction)
                                             .where(DealPrediction.deal_id.in_(ids)))}
