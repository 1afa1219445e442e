"""Early-value signals: the stored report (``/intelligence/early-value``: reports.view), a
recomputation on request (settings.edit, 202: the workers do it) and the customers inside
their first days who show or lack a signal (contacts.view, scoped to the reader's contacts:
the segment to act on). Nothing heavy is computed in the request."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy import Select

from amity.api.deps import CurrentUser, Cursor, DbSession, Limit
from amity.auth.access import Permission, require, scoped
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.core.schemas import PageOut
from amity.intelligence import early_value as ev
from amity.intelligence.early_value_report import latest_report, report_options
from amity.intelligence.early_value_schemas import (
    EarlyValueRefresh,
    EarlyValueReport,
    WindowCustomerRead,
)
from amity.jobs import intelligence as intelligence_jobs

router = APIRouter(prefix="/intelligence/early-value", tags=["intelligence"])
SignalKey = Literal["categories_2", "categories_3", "repeat_orders", "multi_channel",
                    "referral", "support_ticket"]


@router.get("", response_model=EarlyValueReport, summary="Early behaviours that go with value",
            description="The latest stored analysis: for each signal of a customer's first "
                        "days, the lift in mean first-year value and in the chance of reaching "
                        "the top quarter, with bootstrap intervals, sample sizes and a "
                        "sentence. Significant signals first.")
def report(db: DbSession, user: CurrentUser) -> EarlyValueReport:
    require(user, Permission.REPORTS_VIEW)
    return EarlyValueReport.of(latest_report(db))


@router.post("/refresh", status_code=202, summary="Recompute the analysis now",
             description="Queues the job (it also runs daily).")
def refresh(db: DbSession, user: CurrentUser,
            body: EarlyValueRefresh | None = None) -> JSONResponse:
    require(user, Permission.SETTINGS_MANAGE)
    intelligence_jobs.request_early_value(db, (body or EarlyValueRefresh()).model_dump())
    return JSONResponse({"status": "queued"}, status_code=202)


@router.get("/customers", response_model=PageOut[WindowCustomerRead],
            summary="Customers inside their window who show or lack a signal",
            description="Newest customers first; the window is the stored report's (90 days "
                        "by default). has=false lists those to nudge.")
def customers(db: DbSession, user: CurrentUser,
              signal: Annotated[SignalKey, Query(description="The signal")] = "categories_2",
              has: Annotated[bool, Query(description="Show (true) or lack (false) it")] = False,
              cursor: Cursor = None, limit: Limit = None) -> dict[str, Any]:
    def visible(stmt: Select[Any]) -> Select[Any]:
        return scoped(db, stmt, user, Contact, Permission.CONTACTS_VIEW)

    opts = report_options(latest_report(db))
    page = ev.window_customers(db, visible, signal=ev.signal_by_key(signal, opts.min_orders),
                               has=has, at=now(), cursor=cursor, limit=limit or 50,
                               window_days=opts.window_days)
    items = [WindowCustomerRead(contact_id=it.id, name=it.contact.display_name,
                                first_order_at=it.first_at, days_left=it.days_left,
                                **it.features) for it in page.items]
    return {"items": items, "next_cursor": page.next_cursor}
