"""Where a deal sits in its stage's column: a float ``rank`` between its neighbours.

Placing a deal reads at most two neighbours (one index range of ``ix_deals_board``) and writes
one row; the stage is renumbered (1, 2, 3 ...) only when two neighbours get too close for a
float to fall between them, which takes dozens of drops into the same gap.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from amity.deals.models import Deal
from amity.deals.queries import Visible

STEP = 1.0
MIN_GAP = 1e-9


def bottom_rank(db: Session, pipeline_id: uuid.UUID, stage_id: uuid.UUID) -> float:
    """A rank after every deal of the stage (deleted ones included: one index probe)."""
    top = db.scalar(select(func.max(Deal.rank)).where(Deal.pipeline_id == pipeline_id,
                                                      Deal.stage_id == stage_id))
    return (top if top is not None else 0.0) + STEP


def _neighbours(db: Session, pipeline_id: uuid.UUID, stage_id: uuid.UUID, position: int,
                exclude: uuid.UUID, visible: Visible | None) -> list[float] | None:
    """Ranks of the deals at ``position - 1`` and ``position`` of the column (without the deal
    being placed); None when the column is shorter than ``position``."""
    stmt: Any = (select(Deal.rank).where(Deal.pipeline_id == pipeline_id,
                                         Deal.stage_id == stage_id, Deal.deleted_at.is_(None),
                                         Deal.id != exclude))
    if visible is not None:
        stmt = visible(stmt)
    stmt = stmt.order_by(Deal.rank, Deal.id)
    if position == 0:
        return [float(r) for r in db.scalars(stmt.limit(1))]
    ranks = [float(r) for r in db.scalars(stmt.offset(position - 1).limit(2))]
    return ranks or None


def renumber(db: Session, pipeline_id: uuid.UUID, stage_id: uuid.UUID,
             exclude: uuid.UUID) -> None:
    """Spread the stage's deals out again (same order), leaving ``exclude`` alone.
    Ranks are board layout, not content: versions do not change."""
    ids = list(db.scalars(select(Deal.id).where(Deal.pipeline_id == pipeline_id,
                                                Deal.stage_id == stage_id, Deal.id != exclude)
                          .order_by(Deal.rank, Deal.id)))
    table = cast(Table, Deal.__table__)
    db.execute(table.update().where(table.c.id == bindparam("_id"))
               .values(rank=bindparam("_rank")),
               [{"_id": i, "_rank": (n + 1) * STEP} for n, i in enumerate(ids)])
    for obj in list(db.identity_map.values()):
        if isinstance(obj, Deal) and obj.id != exclude and obj.stage_id == stage_id:
            db.expire(obj, ["rank"])


def rank_for(db: Session, *, deal_id: uuid.UUID, pipeline_id: uuid.UUID,
             stage_id: uuid.UUID, position: int | None, visible: Visible | None = None) -> float:
    """The rank that puts the deal at ``position`` (0 = top) of the column as ``visible``
    shows it, or at the bottom when ``position`` is None or past the end."""
    for attempt in range(2):
        if position is None:
            return bottom_rank(db, pipeline_id, stage_id)
        ranks = _neighbours(db, pipeline_id, stage_id, position, deal_id, visible)
        if ranks is None:
            return bottom_rank(db, pipeline_id, stage_id)
        if position == 0:
            return ranks[0] - STEP if ranks else bottom_rank(db, pipeline_id, stage_id)
        if len(ranks) == 1:
            return ranks[0] + STEP
        low, high = ranks
        middle = (low + high) / 2
        if low < middle < high and high - low > MIN_GAP:
            return middle
        if attempt == 0:
            renumber(db, pipeline_id, stage_id, deal_id)
    raise RuntimeError("no room between two deals after renumbering")  # pragma: no cover
