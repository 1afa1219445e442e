"""The pipeline funnel: per stage of a pipeline, the deals that got at least that far.

A deal counts for its current stage and for every open stage before it (a deal in
"Negotiation" has passed "Qualified"); won deals count for every open stage and for the won
stage; lost deals are left out (where they were lost is not in the stage row). Counts come from
one grouped query over the deals the reader may see; the cumulative sum runs over the stages
(a handful of rows), not over deals.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amity.auth.access import Permission, scoped
from amity.auth.models import User
from amity.deals.models import Deal, Pipeline, Stage


def pipeline_funnel(db: Session, user: User, pipeline_id: uuid.UUID | None = None
                    ) -> tuple[str, list[tuple[str, int]]]:
    """(pipeline name, [(stage name, deals that reached it)]) for the default pipeline or the
    one given; ([], '') if there is none."""
    pipe = db.scalar(select(Pipeline).where(Pipeline.id == pipeline_id) if pipeline_id
                     else select(Pipeline).where(Pipeline.archived_at.is_(None))
                     .order_by(Pipeline.is_default.desc(), Pipeline.position).limit(1))
    if pipe is None:
        return "", []
    stages = list(db.execute(select(Stage.id, Stage.name, Stage.kind)
                             .where(Stage.pipeline_id == pipe.id, Stage.archived_at.is_(None),
                                    Stage.kind != "lost")
                             .order_by(Stage.kind == "won", Stage.position)))
    stmt: Any = select(Deal.stage_id, func.count()).where(
        Deal.pipeline_id == pipe.id, Deal.deleted_at.is_(None), Deal.status != "lost")
    counts: dict[uuid.UUID, int] = {
        sid: int(n) for sid, n in db.execute(scoped(db, stmt, user, Deal, Permission.DEALS_VIEW)
                                              .group_by(Deal.stage_id))}
    out: list[tuple[str, int]] = []
    running = 0
    for _id, name, _kind in reversed(stages):
        running += int(counts.get(_id, 0))
        out.append((name, running))
    return pipe.name, out[::-1]
