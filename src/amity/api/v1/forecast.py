"""/forecast and /sales-stats: weighted pipeline, win rates, cycle lengths."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import Select, false

from amity.api.deps import AppSettings, CurrentUser
from amity.api.replica import ReadDbSession
from amity.auth.access import Permission, require, scope_for, scoped
from amity.deals import forecast, stats
from amity.deals.models import Deal

router = APIRouter(tags=["forecast"])

From = Annotated[date | None, Query(alias="from", description="First day (inclusive)")]
To = Annotated[date | None, Query(alias="to", description="Last day (inclusive)")]


@router.get("/forecast", response_model=forecast.Forecast,
            summary="Pipeline, best case, commit, closed and weighted amounts per period")
def get_forecast(db: ReadDbSession, user: CurrentUser, settings: AppSettings,
                 period: forecast.Period = "quarter", group_by: forecast.ForecastGroup = "none",
                 start: From = None, end: To = None, pipeline_id: uuid.UUID | None = None,
                 owner_id: uuid.UUID | None = None) -> forecast.Forecast:
    """Open deals count in the period of their expected close date (without one: the
    `unscheduled` bucket, always included), won deals in the period they were won (UTC).
    Amounts are per currency; with a base currency and exchange rates, `totals` adds each
    (period, group) up in the base currency."""
    q = forecast.ForecastQuery(period=period, group_by=group_by, start=start, end=end,
                               pipeline_id=pipeline_id, owner_id=owner_id)
    require(user, Permission.DEALS_VIEW)
    return forecast.forecast(
        db, q, visible=lambda stmt: scoped(db, stmt, user, Deal, Permission.DEALS_VIEW),
        base_currency=settings.base_currency)


@router.get("/sales-stats", response_model=stats.SalesStats,
            summary="Win rates, sales-cycle lengths, won amounts and the stage funnel")
def get_sales_stats(db: ReadDbSession, user: CurrentUser, group_by: stats.StatsGroup = "none",
                    start: From = None, end: To = None) -> stats.SalesStats:
    """Over the deals closed (won or lost) from `from` to `to` (UTC days) and the stage moves
    made in that time. Needs `reports.view`; counts only deals the reader may see."""
    q = stats.StatsQuery(group_by=group_by, start=start, end=end)
    require(user, Permission.REPORTS_VIEW)

    def visible(stmt: Select[Any]) -> Select[Any]:
        stmt = scoped(db, stmt, user, Deal, Permission.REPORTS_VIEW)
        if scope_for(user, Permission.DEALS_VIEW) == "none":
            return stmt.where(false())
        return scoped(db, stmt, user, Deal, Permission.DEALS_VIEW)

    return stats.sales_stats(db, q, visible=visible)
