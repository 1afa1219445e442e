"""Jobs that refresh the analytics roll-ups (``analytics.refresh_rfm``, nightly and on demand;
``analytics.refresh_rollups``, the dashboard's day roll-ups, every minute; and
``analytics.rebuild_rollups``, nightly and on demand).

The refresh replaces the whole RFM table in the job's transaction, so readers see the old
scores or the new ones, never a half-written table; running it twice is harmless.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from amity.analytics import rfm, rollups
from amity.core.clock import now
from amity.jobs.context import JobContext
from amity.jobs.registry import PermanentError, job

REFRESH_RFM = "analytics.refresh_rfm"
REFRESH_ROLLUPS = "analytics.refresh_rollups"
REBUILD_ROLLUPS = "analytics.rebuild_rollups"


@job(REFRESH_RFM, max_attempts=3)
def refresh_rfm(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    currency = str(payload.get("currency") or ctx.settings.default_currency)
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise PermanentError(f"not a currency code: {currency!r}")
    rfm.refresh(db, at=now(), currency=currency)


@job(REFRESH_ROLLUPS, max_attempts=3)
def refresh_rollups(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    """Recompute the days and customers touched since the last refresh (idempotent)."""
    rollups.refresh(db)


@job(REBUILD_ROLLUPS, max_attempts=3)
def rebuild_rollups(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    """Recompute every roll-up from the live tables (also picks up hard deletes)."""
    rollups.rebuild(db)
