"""Jobs that fit the prediction models and store every customer's predictions.

``intelligence.refresh`` (daily, see ``jobs.schedule``) refits lifetime value and churn on
the whole history and rewrites the predictions; ``intelligence.contact_times`` recomputes the
best hour to contact everyone. Both are idempotent (a rerun replaces the same rows); the
payload may override the at-risk threshold and the discount rate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from amity.jobs import queue
from amity.jobs.context import JobContext
from amity.jobs.registry import job

REFRESH = "intelligence.refresh"
CONTACT_TIMES = "intelligence.contact_times"

if TYPE_CHECKING:
    from amity.intelligence.pipeline import Options

# The models (scipy, scikit-learn) are imported by the jobs that use them, not with this module:
# every web process imports it (to queue a refit), and those libraries add seconds to start-up.


def options_from(payload: dict[str, Any]) -> Options:
    from amity.intelligence.pipeline import Options

    defaults = Options()
    return Options(
        at_risk_threshold=float(payload.get("threshold", defaults.at_risk_threshold)),
        annual_discount=float(payload.get("discount", defaults.annual_discount)),
        clv_months=int(payload.get("months", defaults.clv_months)),
        seed=int(payload.get("seed", defaults.seed)))


@job(REFRESH, max_attempts=3)
def refresh(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    from amity.intelligence import service

    settings = ctx.settings
    service.refresh(db, currency=settings.base_currency or settings.default_currency,
                    base=settings.base_currency, options=options_from(payload))


@job(CONTACT_TIMES, max_attempts=3)
def contact_times(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    from amity.intelligence import contact_time

    contact_time.refresh(db)


def request_refresh(db: Session, payload: dict[str, Any] | None = None) -> None:
    """Queue a refit now (runs after this transaction commits)."""
    queue.enqueue(db, REFRESH, dict(payload or {}))
