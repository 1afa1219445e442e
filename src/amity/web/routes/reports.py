"""/reports: the report builder (a form, no JavaScript needed), saved reports with their result
table and chart, CSV/XLSX downloads; and /analytics/charts, the dashboard's funnel and cohort
heat-map. Readers need ``reports.view``; every number is counted within their access scope.

The builder is a GET form per entity (choosing the entity reloads it with that entity's
fields); saving posts it. A definition the compiler refuses comes back as the form with the
message naming the field, status 422, and nothing saved.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from amity.analytics import cohorts, periods
from amity.analytics.scope import owners_for
from amity.api.deps import AppSettings, DbSession
from amity.auth.access import Permission, require, scope_for
from amity.auth.models import Team, User
from amity.auth.sharing import my_team_ids
from amity.core.customfields import definitions_for
from amity.core.errors import DomainError
from amity.reports import charts, service
from amity.reports.fields import ENTITIES, ENTITY_NAMES
from amity.reports.funnel import pipeline_funnel
from amity.reports.models import SavedReport
from amity.reports.schemas import ReportCreate, ReportDefinition, ReportUpdate
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(route_class=WebRoute)
Text = Annotated[str, Form(max_length=200)]
BUCKETS = ("day", "week", "month", "quarter", "year")
OPS = ("count", "sum", "avg", "min", "max")
FILTER_OPS = ("eq", "ne", "contains", "gt", "gte", "lt", "lte", "in", "is_null", "not_null")


def field_choices(db: Session, user: User, entity: str) -> dict[str, list[tuple[str, str]]]:
    """(key, label) of the entity's groupable, numeric and filterable fields."""
    e = ENTITIES[entity]
    groups = [(k, f.label + (" (time)" if f.kind == "time" else ""))
              for k, f in e.fields.items() if f.kind != "number"]
    if e.custom_entity:
        groups += [(f"custom.{d.key}", d.label) for d in
                   definitions_for(db, e.custom_entity).values()
                   if not d.sensitive or user.is_admin]
    numbers = [(k, f.label) for k, f in e.fields.items() if f.kind == "number"]
    return {"groups": groups, "numbers": numbers, "all": groups + numbers}


def _form_page(request: Request, db: Session, user: User, form: dict[str, str],
               error: str | None = None, status_code: int = 200,
               report_id: uuid.UUID | None = None) -> Response:
    entity = form.get("entity") if form.get("entity") in ENTITY_NAMES else "deals"
    form["entity"] = entity or "deals"
    teams = sorted(my_team_ids(db, user))
    return render(request, "reports/builder.html", {
        "form": form, "error": error, "entities": [(n, ENTITIES[n].label) for n in ENTITY_NAMES],
        "fields": field_choices(db, user, form["entity"]), "buckets": BUCKETS, "ops": OPS,
        "filter_ops": FILTER_OPS, "report_id": report_id,
        "teams": [t for t in (db.get(Team, i) for i in teams) if t is not None]},
        status_code=status_code)


@router.get("/reports")
def reports_page(request: Request, db: DbSession, user: WebUser) -> Response:
    return render(request, "reports/list.html", {
        "reports": service.visible_reports(db, user)})


@router.get("/reports/new")
def builder_page(request: Request, db: DbSession, user: WebUser,
                 entity: Annotated[str, Query(max_length=20)] = "deals") -> Response:
    require(user, Permission.REPORTS_VIEW)
    return _form_page(request, db, user, {"entity": entity, "limit": "100", "chart": "bar",
                                          "visibility": "private", "digest": "none"})


def definition_from(form: dict[str, str]) -> dict[str, Any]:
    """The API's definition from the builder's flat form fields."""
    dims = [{"field": form[f"dim{i}"], "bucket": form.get(f"bucket{i}") or None}
            for i in (1, 2) if form.get(f"dim{i}")]
    measures: list[dict[str, Any]] = []
    for i in (1, 2):
        op, fld = form.get(f"op{i}", ""), form.get(f"mfield{i}", "")
        if op:
            measures.append({"op": op, "field": fld or None})
    filters = []
    for i in (1, 2, 3):
        fld, op, value = form.get(f"ffield{i}", ""), form.get(f"fop{i}", "eq"), \
            form.get(f"fvalue{i}", "").strip()
        if not fld:
            continue
        parsed: Any = None
        if op in ("in", "not_in"):
            parsed = [v.strip() for v in value.split(",") if v.strip()]
        elif op not in ("is_null", "not_null"):
            parsed = value
        filters.append({"field": fld, "op": op, "value": parsed})
    sort: list[dict[str, str]] = []
    if form.get("sort") in ("m_desc", "m_asc") and measures:
        m = measures[0]
        key = m["op"] if m["field"] is None else f"{m['op']}:{m['field']}"
        sort.append({"by": key, "direction": "desc" if form["sort"] == "m_desc" else "asc"})
    limit = form.get("limit", "").strip()
    return {"entity": form.get("entity", ""), "dimensions": dims,
            "measures": measures or [{"op": "count"}], "filters": filters, "sort": sort,
            "limit": int(limit) if limit.isdigit() else limit or 100}


def form_of(report: SavedReport) -> dict[str, str] | None:
    """The builder's fields for a saved report, or None if it uses more than the form shows
    (more than two measures or three filters, a sort other than by the first measure)."""
    d = ReportDefinition.model_validate(report.definition)
    sort = d.sort[0] if d.sort else None
    if (len(d.measures) > 2 or len(d.filters) > 3 or len(d.sort) > 1
            or (sort and sort.by != d.measures[0].key)):
        return None
    form = {"entity": d.entity, "name": report.name, "limit": str(d.limit),
            "chart": report.chart, "visibility": report.visibility, "digest": report.digest,
            "team_id": str(report.team_id or ""),
            "sort": "" if sort is None else f"m_{sort.direction}"}
    for i, dim in enumerate(d.dimensions, 1):
        form[f"dim{i}"], form[f"bucket{i}"] = dim.field, dim.bucket or ""
    for i, m in enumerate(d.measures, 1):
        form[f"op{i}"], form[f"mfield{i}"] = m.op, m.field or ""
    for i, f in enumerate(d.filters, 1):
        value = f.value
        form[f"ffield{i}"], form[f"fop{i}"] = f.field, f.op
        form[f"fvalue{i}"] = (", ".join(str(v) for v in value) if isinstance(value, list)
                              else "" if value is None else str(value))
    return form


def _pydantic_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}"


@router.post("/reports", dependencies=[CsrfChecked])
async def create_report(request: Request, db: DbSession, user: WebUser) -> Response:
    require(user, Permission.REPORTS_VIEW)
    raw = await request.form()
    form = {k: str(v)[:200] for k, v in raw.items() if isinstance(v, str)}
    try:
        data = ReportCreate.model_validate(_posted(form))
        report = service.create_report(db, data=data, actor=user)
    except ValidationError as exc:
        return _form_page(request, db, user, form, _pydantic_message(exc), 422)
    except DomainError as exc:
        db.rollback()
        where = f"{exc.field}: " if exc.field else ""
        return _form_page(request, db, user, form, where + exc.message, exc.status)
    return RedirectResponse(f"/reports/{report.id}", status_code=303)


def _posted(form: dict[str, str]) -> dict[str, Any]:
    return {"name": form.get("name", ""), "definition": definition_from(form),
            "visibility": form.get("visibility", "private"),
            "team_id": form.get("team_id") or None, "chart": form.get("chart", "bar"),
            "digest": form.get("digest", "none")}


@router.get("/reports/{report_id}/edit")
def edit_page(report_id: uuid.UUID, request: Request, db: DbSession,
              user: WebUser) -> Response:
    report = service.access_report(db, user, report_id, change=True)
    form = form_of(report)
    if form is None:
        return render(request, "error.html", {
            "title": "This report cannot be edited here",
            "message": "It uses options the form cannot show; change it through the API "
                       "(PATCH /api/v1/reports/{id})."}, status_code=409)
    return _form_page(request, db, user, form, report_id=report.id)


@router.post("/reports/{report_id}", dependencies=[CsrfChecked])
async def update_report(report_id: uuid.UUID, request: Request, db: DbSession,
                        user: WebUser) -> Response:
    report = service.access_report(db, user, report_id, change=True)
    raw = await request.form()
    form = {k: str(v)[:200] for k, v in raw.items() if isinstance(v, str)}
    form["entity"] = str(report.definition.get("entity", ""))
    try:
        data = ReportUpdate.model_validate(_posted(form))
        service.update_report(db, report=report, data=data, actor=user)
    except ValidationError as exc:
        return _form_page(request, db, user, form, _pydantic_message(exc), 422, report.id)
    except DomainError as exc:
        db.rollback()
        where = f"{exc.field}: " if exc.field else ""
        return _form_page(request, db, user, form, where + exc.message, exc.status, report.id)
    return RedirectResponse(f"/reports/{report.id}", status_code=303)


@router.get("/reports/{report_id}")
def report_page(report_id: uuid.UUID, request: Request, db: DbSession,
                user: WebUser) -> Response:
    report = service.access_report(db, user, report_id)
    result = service.run_report(db, user, report)
    chart = charts.for_result(report.name, report.chart, result.columns, result.rows)
    return render(request, "reports/report.html", {
        "report": report, "result": result, "chart": chart, "fmt": charts.fmt,
        "may_change": report.owner_id == user.id or user.is_admin})


@router.post("/reports/{report_id}/refresh", dependencies=[CsrfChecked])
def refresh_report(report_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    service.refresh_report(db, report=service.access_report(db, user, report_id), actor=user)
    return RedirectResponse(f"/reports/{report_id}", status_code=303)


@router.get("/reports/{report_id}/export.{fmt}")
def export_report(report_id: uuid.UUID, fmt: str, db: DbSession, user: WebUser) -> Response:
    report = service.access_report(db, user, report_id)
    result = service.run_report(db, user, report)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", report.name).strip("-") or "report"
    if fmt == "xlsx":
        return Response(service.to_xlsx(result, report.name), media_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'})
    if fmt == "csv":
        return Response(service.to_csv(result), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
    return Response("Choose csv or xlsx", status_code=404, media_type="text/plain")


@router.post("/reports/{report_id}/delete", dependencies=[CsrfChecked])
def delete_report(report_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    report = service.access_report(db, user, report_id, change=True)
    service.delete_report(db, report=report, actor=user)
    return RedirectResponse("/reports", status_code=303)


@router.get("/analytics/charts")
def dashboard_charts(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
                     to: Annotated[str, Query(max_length=20)] = "",
                     tz: Annotated[str, Query(max_length=64)] = "",
                     currency: Annotated[str, Query(max_length=3)] = "") -> Response:
    """The dashboard's charts (loaded by HTMX): the pipeline funnel and the cohort heat-map
    of the twelve months to ``to``'s (default: this month)."""
    owners = owners_for(db, user)
    tz_name = tz or user.time_zone or "UTC"
    try:
        end = date.fromisoformat(to) if to else None
    except ValueError:
        end = None
    period = periods.resolve(None, end, tz_name)
    first = periods.add_months(period.end.replace(day=1), -11)
    code = currency.strip().upper() if len(currency.strip()) == 3 else settings.default_currency
    table = cohorts.cohort_table(db, first=first, last=period.end, tz_name=tz_name,
                                 currency=code, owners=owners)
    width = max((len(r.rates) for r in table.rows), default=0)
    heat = charts.heat_map(
        f"Retention by first-purchase month ({tz_name})",
        [r.cohort.strftime("%Y-%m") for r in table.rows], [f"+{k}" for k in range(width)],
        [list(r.rates) for r in table.rows])
    name, stages = (pipeline_funnel(db, user)
                    if scope_for(user, Permission.DEALS_VIEW) != "none" else ("", []))
    funnel = charts.funnel_chart(f"Pipeline funnel: {name}" if name else "Pipeline funnel",
                                 stages)
    return render(request, "reports/_dashboard_charts.html", {"heat": heat, "funnel": funnel})
