"""/analytics: the KPI dashboard (and the analyses' pages), for readers with ``reports.view``.

The form sends empty strings for empty fields, so values are parsed here into the same
arguments the API takes; bad values are a 422 page, like the API's problem+json.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from amity.analytics import (
    attribution,
    cohorts,
    kpis,
    leaderboards,
    periods,
    relationship,
    rfm,
)
from amity.analytics.scope import choices, owners_for
from amity.api.deps import AppSettings, DbSession
from amity.auth.access import Permission, access_record, scope_for
from amity.auth.models import User
from amity.contacts.models import Contact
from amity.core.errors import ValidationFailed
from amity.web.auth import WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render, templates

router = APIRouter(route_class=WebRoute)
Text = Annotated[str, Query(max_length=64)]


def can_view_analytics(user: User | None) -> bool:
    return user is not None and scope_for(user, Permission.REPORTS_VIEW) != "none"


templates.env.globals["can_view_analytics"] = can_view_analytics


def parse_uuid(value: str, field: str) -> uuid.UUID | None:
    if not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError as exc:
        raise ValidationFailed("uuid.invalid", f"{field} must be an id", field) from exc


def parse_date(value: str, field: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValidationFailed("date.invalid", f"{field} must be a date", field) from exc


def parse_window(value: str) -> int:
    if not value.strip():
        return 90
    if not value.strip().isdigit() or not 1 <= int(value) <= 730:
        raise ValidationFailed("window.invalid", "The active window is 1 to 730 days",
                               "window_days")
    return int(value)


def shown(value: Decimal | None, unit: str) -> str:
    """A KPI value for people: ratios as percentages, money with thousands separators."""
    if value is None:
        return "\u2013"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "money":
        return f"{value:,.2f}"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


@router.get("/analytics")
def dashboard_page(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
                   start: Annotated[str, Query(alias="from", max_length=20)] = "",
                   end: Annotated[str, Query(alias="to", max_length=20)] = "",
                   tz: Text = "", currency: Text = "", window_days: Text = "",
                   team: Text = "", owner: Text = "") -> Response:
    form = {"from": start, "to": end, "tz": tz or user.time_zone or "UTC",
            "currency": currency.strip().upper() or settings.default_currency,
            "window_days": window_days or "90", "team": team, "owner": owner}
    if len(form["currency"]) != 3 or not form["currency"].isalpha():
        raise ValidationFailed("currency.invalid", "A currency is a 3-letter code", "currency")
    period = periods.resolve(parse_date(start, "from"), parse_date(end, "to"), form["tz"])
    owners = owners_for(db, user, team_id=parse_uuid(team, "team"),
                        owner_id=parse_uuid(owner, "owner"))
    board = kpis.dashboard(db, period, kpis.Filters(
        currency=form["currency"], owners=owners, window_days=parse_window(window_days)))
    teams, people = choices(db)
    form["from"], form["to"] = period.start.isoformat(), period.end.isoformat()
    cards: list[dict[str, Any]] = [
        {"k": k, "value": shown(k.value, k.unit), "previous": shown(k.previous, k.unit),
         "good": None if k.trend in (None, "flat") else k.trend == k.better}
        for k in board.kpis]
    return render(request, "analytics/dashboard.html", {
        "board": board, "cards": cards, "form": form, "teams": teams, "people": people})


def heat(rate: Decimal | None) -> str:
    """A CSS class for a cohort cell: heat-0 .. heat-10 by tenths of the rate (CSP: no inline
    style, so colours come from classes)."""
    return "" if rate is None else f"heat-{min(10, int(rate * 10))}"


@router.get("/analytics/cohorts")
def cohorts_page(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
                 start: Annotated[str, Query(alias="from", max_length=20)] = "",
                 end: Annotated[str, Query(alias="to", max_length=20)] = "",
                 tz: Text = "", currency: Text = "") -> Response:
    tz_name = tz or user.time_zone or "UTC"
    code = currency.strip().upper() or settings.default_currency
    owners = owners_for(db, user)
    period = periods.resolve(parse_date(start, "from"), parse_date(end, "to"), tz_name)
    first = parse_date(start, "from") or periods.add_months(period.end.replace(day=1), -11)
    table = cohorts.cohort_table(db, first=first, last=period.end, tz_name=tz_name,
                                 currency=code, owners=owners)
    repeat = cohorts.repeat_by_category(db, lo=periods.instant(first, period.tz),
                                        hi=period.hi, currency=code, owners=owners)
    sources = attribution.attribution(db, periods.Period(first, period.end, period.tz),
                                      currency=code, owners=owners)
    width = max((len(r.rates) for r in table.rows), default=0)
    form = {"from": first.isoformat(), "to": period.end.isoformat(), "tz": tz_name,
            "currency": code}
    return render(request, "analytics/cohorts.html", {
        "table": table, "repeat": repeat, "sources": sources, "width": width, "heat": heat,
        "form": form,
        "pct": lambda v: shown(v, "ratio")})


@router.get("/analytics/segments")
def segments_page(request: Request, db: DbSession, user: WebUser) -> Response:
    out = rfm.summary(db, owners_for(db, user))
    top = max((s.customers for s in out.segments), default=0) or 1
    return render(request, "analytics/segments.html", {
        "rfm": out, "top": top, "pct": lambda v: shown(v, "ratio")})


@router.get("/analytics/leaderboard")
def leaderboard_page(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
                     start: Annotated[str, Query(alias="from", max_length=20)] = "",
                     end: Annotated[str, Query(alias="to", max_length=20)] = "",
                     team: Text = "") -> Response:
    tz_name = user.time_zone or "UTC"
    period = periods.resolve(parse_date(start, "from"), parse_date(end, "to"), tz_name)
    board = leaderboards.leaderboard(
        db, period, currency=settings.default_currency,
        owners=owners_for(db, user, team_id=parse_uuid(team, "team")))
    teams, _people = choices(db)
    form = {"from": period.start.isoformat(), "to": period.end.isoformat(), "team": team}
    return render(request, "analytics/leaderboard.html", {
        "board": board, "teams": teams, "form": form, "tz": tz_name})


@router.get("/contacts/{contact_id}/relationship-panel")
def relationship_panel(contact_id: uuid.UUID, request: Request, db: DbSession, user: WebUser,
                       settings: AppSettings) -> Response:
    """The contact page's relationship-value panel (loaded by HTMX; its own access check)."""
    access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW, entity="contact")
    value = relationship.relationship_value(
        db, contact_id, periods.last_year(None, None, user.time_zone or "UTC"),
        currency=settings.default_currency)
    return render(request, "analytics/_relationship_panel.html", {"v": value})
