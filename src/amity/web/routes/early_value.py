"""Early-value signals in the browser: Settings > Early value (the stored report:
reports.view; settings.edit to queue a recomputation) and, on the same page, the customers
inside their first days who show or lack a chosen signal (loaded by HTMX, scoped to the
contacts the reader may see). The page only reads what the job stored."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import Select

from amity.api.deps import DbSession
from amity.auth.access import Permission, require, scope_for, scoped
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.intelligence import early_value as ev
from amity.intelligence.early_value_report import latest_report, report_options
from amity.intelligence.early_value_schemas import EarlyValueReport
from amity.jobs import intelligence as intelligence_jobs
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(route_class=WebRoute)
PAGE = 25


@router.get("/settings/early-value")
def early_value_page(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.REPORTS_VIEW)
    fit = latest_report(db)
    opts = report_options(fit)
    return render(request, "intelligence/early_value.html", {
        "tab": "early_value", "report": EarlyValueReport.of(fit),
        "signals": ev.signals(opts.min_orders),
        "may_edit": scope_for(user, Permission.SETTINGS_MANAGE) != "none",
        "may_list": scope_for(user, Permission.CONTACTS_VIEW) != "none"})


@router.get("/settings/early-value/customers")
def window_list(request: Request, db: DbSession, user: WebUser,
                signal: Annotated[str, Query(max_length=40)] = "categories_2",
                has: Annotated[str, Query(pattern="^(yes|no)$")] = "no",
                cursor: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    def visible(stmt: Select[Any]) -> Select[Any]:
        return scoped(db, stmt, user, Contact, Permission.CONTACTS_VIEW)

    opts = report_options(latest_report(db))
    key = signal if signal in ev.SIGNAL_KEYS else "categories_2"
    sig = ev.signal_by_key(key, opts.min_orders)
    page = ev.window_customers(db, visible, signal=sig, has=has == "yes", at=now(),
                               cursor=cursor, limit=PAGE, window_days=opts.window_days)
    return render(request, "intelligence/_early_customers.html", {
        "page": page, "signal": sig, "has": has, "window_days": opts.window_days})


@router.post("/settings/early-value/refresh", dependencies=[CsrfChecked])
def queue_refresh(db: DbSession, user: WebUser) -> Response:
    require(user, Permission.SETTINGS_MANAGE)
    intelligence_jobs.request_early_value(db)
    return RedirectResponse("/settings/early-value?queued=1", status_code=303)
