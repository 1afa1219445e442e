"""Jobs that fit the prediction models and store every customer's predictions.

``intelligence.refresh`` (daily, see ``jobs.schedule``) refits lifetime value and churn on
the whole history and rewrites the predictions; ``intelligence.contact_times`` recomputes the
best hour to contact everyone; ``intelligence.early_value`` stores a new early-value report.
All are idempotent (a rerun replaces the same rows); the
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
EARLY_VALUE = "intelligence.early_value"

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


@job(EARLY_VALUE, max_attempts=3)
def early_value(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    """Early-value signals: lifts of first-days behaviours, stored as a report."""
    from amity.intelligence.early_value_report import analyse_early_value
    from amity.intelligence.early_value_stats import Options

    known = {"window_days", "horizon_days", "min_orders", "resamples", "seed"}
    settings = ctx.settings
    analyse_early_value(db, currency=settings.base_currency or settings.default_currency,
                        base=settings.base_currency,
                        options=Options(**{k: int(v) for k, v in payload.items() if k in known}))


def request_early_value(db: Session, payload: dict[str, Any] | None = None) -> None:
    """Queue the early-value analysis now (runs after this transaction commits)."""
    queue.enqueue(db, EARLY_VALUE, dict(payload or {}))


def request_refresh(db: Session, payload: dict[str, Any] | None = None) -> None:
    """Queue a refit now (runs after this transaction commits)."""
    queue.enqueue(db, REFRESH, dict(payload or {}))
