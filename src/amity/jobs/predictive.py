"""Jobs that score open deals and rebuild the product co-purchase table.

``intelligence.deal_scores`` (daily, see ``jobs.schedule``) fits the deal-win model on the
closed deals and rewrites every open deal's probability; ``intelligence.product_associations``
(daily) rebuilds the item-item confidence and lift the recommendations read. Both are
idempotent: a rerun replaces the same rows. The payload of the first may set ``seed``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from amity.jobs import queue
from amity.jobs.context import JobContext
from amity.jobs.registry import job

DEAL_SCORES = "intelligence.deal_scores"
PRODUCT_ASSOCIATIONS = "intelligence.product_associations"

# scikit-learn is imported by the job that uses it, not with this module (web processes
# import it to queue a rescoring)


@job(DEAL_SCORES, max_attempts=3)
def deal_scores(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    from amity.intelligence import deal_scoring

    deal_scoring.refresh_deal_scores(db, seed=int(payload.get("seed", 0)))


@job(PRODUCT_ASSOCIATIONS, max_attempts=3)
def product_associations(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    from amity.intelligence import recommendations

    recommendations.refresh_associations(db)


def request_rescoring(db: Session) -> None:
    """Queue both now (they run after this transaction commits)."""
    queue.enqueue(db, DEAL_SCORES, {})
    queue.enqueue(db, PRODUCT_ASSOCIATIONS, {})
