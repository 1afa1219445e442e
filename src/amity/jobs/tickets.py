"""Jobs of the customer service: the periodic SLA check.

Every minute ``tickets.check_sla`` records the SLA warnings and breaches that have come due
and publishes ``ticket.sla_warning`` / ``ticket.sla_breached``. Each is claimed by an UPDATE
on the ticket, so a retried or concurrent run records nothing twice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from amity.core.clock import now
from amity.jobs.context import JobContext
from amity.jobs.registry import job
from amity.tickets.sla import check_breaches

CHECK_SLA = "tickets.check_sla"


@job(CHECK_SLA, max_attempts=3)
def check_sla(payload: dict[str, Any], db: Session, ctx: JobContext) -> None:
    check_breaches(db, now())
