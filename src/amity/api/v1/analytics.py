"""/analytics: the KPI dashboard and the analyses (cohorts, RFM, repeat purchases, attribution,
leaderboards). Read only; needs ``reports.view`` and counts only the reader's scope."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query

from amity.analytics import (
    attribution,
    cohorts,
    kpis,
    leaderboards,
    periods,
    relationship,
    rfm,
    sales,
)
from amity.analytics.scope import owners_for
from amity.api.deps import AppSettings, CurrentUser, DbSession
from amity.api.v1.jobs import JobRead
from amity.auth.access import Permission, access_record, require
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.jobs import queue
from amity.jobs.analytics import REBUILD_ROLLUPS, REFRESH_RFM
from amity.jobs.models import Job

router = APIRouter(prefix="/analytics", tags=["analytics"])

From = Annotated[date | None, Query(alias="from", description=(
    "First day (inclusive, business time); default: the first of the month of `to`"))]
To = Annotated[date | None, Query(alias="to", description=(
    "Last day (inclusive, business time); default: today"))]
Tz = Annotated[str, Query(max_length=64, description="Business time zone (IANA name)")]
Currency = Annotated[str | None, Query(pattern=r"^[A-Z]{3}$",
                                       description="Money KPIs in this currency")]
Window = Annotated[int, Query(ge=1, le=730, description=(
    "N: a customer is active at an instant if they placed a counted order in the N days "
    "before it"))]


@router.get("/kpis", response_model=kpis.Dashboard,
            summary="Retention, churn, sales, customer value, productivity and service KPIs")
def get_kpis(db: DbSession, user: CurrentUser, settings: AppSettings, start: From = None,
             end: To = None, tz: Tz = "UTC", currency: Currency = None, window_days: Window = 90,
             team: uuid.UUID | None = None, owner: uuid.UUID | None = None,
             pipeline: uuid.UUID | None = None,
             live: Annotated[bool, Query(description=(
                 "Compute every number from the live tables instead of the roll-ups"))] = False,
             ) -> kpis.Dashboard:
    """Each KPI for the period `from`..`to` (whole days on the business time zone's clock)
    with its value in the period of the same length just before, the change and the
    definition used. `team` and `owner` count the records those users own (tickets: assigned);
    `pipeline` narrows the deal KPIs. Order and activity sums come from roll-ups refreshed
    every minute: `as_of` says the instant they are exact for (null when computed live)."""
    period = periods.resolve(start, end, tz)
    owners = owners_for(db, user, team_id=team, owner_id=owner)
    f = kpis.Filters(currency=currency or settings.default_currency, owners=owners,
                     pipeline_id=pipeline, window_days=window_days)
    return kpis.dashboard(db, period, f, live=live)


@router.get("/sales", response_model=sales.SalesBreakdown,
            summary="Sales (exact line values) by category, product, channel or order field")
def get_sales(db: DbSession, user: CurrentUser, settings: AppSettings,
              by: Annotated[str, Query(max_length=70, description=(
                  "category, product, channel or field:<order custom field key>"))] = "category",
              start: From = None, end: To = None, tz: Tz = "UTC", currency: Currency = None,
              team: uuid.UUID | None = None, owner: uuid.UUID | None = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> sales.SalesBreakdown:
    """Counted orders' lines grouped by `by` (all time without `from`/`to`), over the orders
    owned by users in the reader's `reports.view` scope (`team`, `owner` narrow it)."""
    owners = owners_for(db, user, team_id=team, owner_id=owner)
    period = periods.resolve(start, end, tz) if start or end else None
    return sales.sales_by(db, by=by, currency=currency or settings.default_currency,
                          period=period, owners=owners, limit=limit)


@router.get("/cohorts", response_model=cohorts.CohortTable,
            summary="Retention by first-purchase month (cohort table)")
def get_cohorts(db: DbSession, user: CurrentUser, settings: AppSettings, start: From = None,
                end: To = None, tz: Tz = "UTC", currency: Currency = None,
                team: uuid.UUID | None = None,
                owner: uuid.UUID | None = None) -> cohorts.CohortTable:
    """Rows: customers whose first counted order ever is in a month from `from`'s to `to`'s
    (default: the twelve months to this one); cell k: the share of them who ordered k months
    later. Months are calendar months in `tz`."""
    owners = owners_for(db, user, team_id=team, owner_id=owner)
    period = periods.resolve(start, end, tz)
    first = start or periods.add_months(period.end.replace(day=1), -11)
    return cohorts.cohort_table(db, first=first, last=period.end, tz_name=tz,
                                currency=currency or settings.default_currency, owners=owners)


@router.get("/repeat-purchases", response_model=list[cohorts.RepeatRow],
            summary="Repeat-purchase rate after the first purchase of each product category")
def get_repeat_purchases(db: DbSession, user: CurrentUser, settings: AppSettings,
                         start: From = None, end: To = None, tz: Tz = "UTC",
                         currency: Currency = None, team: uuid.UUID | None = None,
                         owner: uuid.UUID | None = None) -> list[cohorts.RepeatRow]:
    """Per category, the customers whose first purchase of it is in the period, and the share
    who bought again later (anything; the same category), up to now."""
    owners = owners_for(db, user, team_id=team, owner_id=owner)
    period = periods.resolve(start, end, tz)
    return cohorts.repeat_by_category(db, lo=period.lo, hi=period.hi,
                                      currency=currency or settings.default_currency,
                                      owners=owners)


@router.get("/rfm", response_model=rfm.RfmSummary,
            summary="RFM segments: customers, share, money, recency and frequency per segment")
def get_rfm(db: DbSession, user: CurrentUser, team: uuid.UUID | None = None,
            owner: uuid.UUID | None = None) -> rfm.RfmSummary:
    """From the last refresh of the RFM table (nightly, or `POST /analytics/rfm/refresh`),
    over the customers whose contact is owned by users in the reader's `reports.view` scope.
    Segment names and their recency x frequency grid are in the README."""
    return rfm.summary(db, owners_for(db, user, team_id=team, owner_id=owner))


@router.post("/rfm/refresh", status_code=202, response_model=JobRead,
             summary="Recompute every customer's RFM scores and segment (in the background)")
def refresh_rfm(db: DbSession, user: CurrentUser, settings: AppSettings,
                currency: Currency = None) -> Job:
    """Queues `analytics.refresh_rfm`; a refresh already queued for the currency is reused.
    Needs `settings.edit`: it recomputes everyone's scores."""
    require(user, Permission.SETTINGS_MANAGE)
    code = currency or settings.default_currency
    return queue.enqueue(db, REFRESH_RFM, {"currency": code},
                         idempotency_key=f"analytics.rfm:{code}:{now():%Y-%m-%dT%H:%M}")


@router.post("/rollups/rebuild", status_code=202, response_model=JobRead,
             summary="Recompute the dashboard's roll-ups from scratch (in the background)")
def rebuild_rollups(db: DbSession, user: CurrentUser) -> Job:
    """Queues `analytics.rebuild_rollups` (they are also refreshed every minute and rebuilt
    nightly); a rebuild queued in the same minute is reused. Needs `settings.edit`."""
    require(user, Permission.SETTINGS_MANAGE)
    return queue.enqueue(db, REBUILD_ROLLUPS, {},
                         idempotency_key=f"analytics.rollups:{now():%Y-%m-%dT%H:%M}")


@router.get("/leaderboard", response_model=leaderboards.Leaderboard,
            summary="Per rep: deals won, activities logged, tickets resolved, CSAT")
def get_leaderboard(db: DbSession, user: CurrentUser, settings: AppSettings,
                    start: From = None, end: To = None, tz: Tz = "UTC",
                    currency: Currency = None,
                    team: uuid.UUID | None = None) -> leaderboards.Leaderboard:
    """Active users in the reader's `reports.view` scope (or the team's members), most deals
    won first."""
    owners = owners_for(db, user, team_id=team)
    return leaderboards.leaderboard(db, periods.resolve(start, end, tz),
                                    currency=currency or settings.default_currency,
                                    owners=owners)


@router.get("/contacts/{contact_id}/relationship-value",
            response_model=relationship.RelationshipValue,
            summary="A contact's value beyond revenue: referrals, feedback and advocacy")
def get_relationship_value(
        contact_id: uuid.UUID, db: DbSession, user: CurrentUser, settings: AppSettings,
        start: From = None, end: To = None, tz: Tz = "UTC", currency: Currency = None,
        feedback_value: Annotated[Decimal, Query(ge=0, le=1_000_000, decimal_places=2)] = (
            relationship.FEEDBACK_VALUE),
        advocacy_value: Annotated[Decimal, Query(ge=0, le=1_000_000, decimal_places=2)] = (
            relationship.ADVOCACY_VALUE)) -> relationship.RelationshipValue:
    """Own revenue + revenue of the customers they referred + `feedback_value` per survey
    answered + `advocacy_value` per inbound social mention, over `from`..`to` (default: the
    365 days to today). Needs `contacts.view` on the contact."""
    access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW, entity="contact")
    return relationship.relationship_value(
        db, contact_id, periods.last_year(end, start, tz),
        currency=currency or settings.default_currency, feedback_value=feedback_value,
        advocacy_value=advocacy_value)


@router.get("/attribution", response_model=attribution.Attribution,
            summary="First-touch, last-touch and linear attribution of customers' early revenue")
def get_attribution(db: DbSession, user: CurrentUser, settings: AppSettings,
                    start: From = None, end: To = None, tz: Tz = "UTC",
                    currency: Currency = None, by: attribution.By = "source",
                    value_days: Annotated[int, Query(ge=1, le=3660)] = 180,
                    team: uuid.UUID | None = None,
                    owner: uuid.UUID | None = None) -> attribution.Attribution:
    """Customers whose first counted order is in the period (default: the 365 days to today);
    value: their revenue in the `value_days` after it; touches: the contact's source and their
    deals' sources (or campaigns) before that first order."""
    owners = owners_for(db, user, team_id=team, owner_id=owner)
    return attribution.attribution(db, periods.last_year(end, start, tz),
                                   currency=currency or settings.default_currency, by=by,
                                   value_days=value_days, owners=owners)
