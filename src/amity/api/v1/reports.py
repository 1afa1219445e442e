"""/reports: saved report definitions (CRUD), running them and exporting CSV/XLSX.

Every run is one SQL aggregate over the rows the caller may see; a report shared with a team
or everyone is run within each reader's own access scope. Needs ``reports.view``.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from amity.api.deps import CurrentUser, DbSession, IfMatch, etag, parse_if_match
from amity.core.errors import PreconditionFailed
from amity.reports import service
from amity.reports.charts import for_result
from amity.reports.schemas import (
    ReportCreate,
    ReportDefinition,
    ReportRead,
    ReportResult,
    ReportUpdate,
)

router = APIRouter(prefix="/reports", tags=["reports"])
Tz = Annotated[str | None, Query(max_length=64, description=(
    "Time zone for time buckets and date filters (IANA name); default: the caller's"))]


@router.get("", response_model=list[ReportRead])
def list_reports(db: DbSession, user: CurrentUser) -> list[ReportRead]:
    """The caller's own reports and those shared with everyone or one of their teams."""
    return [ReportRead.model_validate(r) for r in service.visible_reports(db, user)]


@router.post("", status_code=201, response_model=ReportRead)
def create_report(body: ReportCreate, db: DbSession, user: CurrentUser) -> JSONResponse:
    """Save a report; its definition is checked as if run (422 naming the field if not)."""
    r = service.create_report(db, data=body, actor=user)
    db.flush()
    return JSONResponse(ReportRead.model_validate(r).model_dump(mode="json"), status_code=201,
                        headers={"ETag": etag(r.version), "Location": f"/api/v1/reports/{r.id}"})


@router.post("/run", response_model=ReportResult, summary="Run a definition without saving it")
def run_unsaved(body: ReportDefinition, db: DbSession, user: CurrentUser,
                tz: Tz = None) -> ReportResult:
    return service.run_definition(db, user, body, tz)


@router.get("/{report_id}", response_model=ReportRead)
def get_report(report_id: uuid.UUID, response: Response, db: DbSession,
               user: CurrentUser) -> ReportRead:
    r = service.access_report(db, user, report_id)
    response.headers["ETag"] = etag(r.version)
    return ReportRead.model_validate(r)


@router.patch("/{report_id}", response_model=ReportRead)
def update_report(report_id: uuid.UUID, body: ReportUpdate, response: Response,
                  db: DbSession, user: CurrentUser, if_match: IfMatch = None) -> ReportRead:
    r = service.access_report(db, user, report_id, change=True)
    r = service.update_report(db, report=r, data=body, actor=user,
                              expected_version=parse_if_match(if_match))
    db.flush()
    response.headers["ETag"] = etag(r.version)
    return ReportRead.model_validate(r)


@router.delete("/{report_id}", status_code=204)
def delete_report(report_id: uuid.UUID, db: DbSession, user: CurrentUser,
                  if_match: IfMatch = None) -> Response:
    r = service.access_report(db, user, report_id, change=True)
    expected = parse_if_match(if_match)
    if expected is not None and expected != r.version:
        raise PreconditionFailed()
    service.delete_report(db, report=r, actor=user)
    return Response(status_code=204)


@router.get("/{report_id}/run", response_model=ReportResult)
def run_report(report_id: uuid.UUID, db: DbSession, user: CurrentUser, tz: Tz = None,
               fresh: Annotated[bool, Query(description=(
                   "Run now even if a stored result exists"))] = False) -> ReportResult:
    """The saved report's groups and measures, as the caller sees the data: its stored result
    for the caller's scope if there is one (``as_of``), else computed now."""
    return service.run_report(db, user, service.access_report(db, user, report_id), tz,
                              fresh=fresh)


@router.post("/{report_id}/refresh", response_model=ReportResult)
def refresh_report(report_id: uuid.UUID, db: DbSession, user: CurrentUser,
                   tz: Tz = None) -> ReportResult:
    """Run the saved report now and store the result for the caller's scope; later runs read
    it (``as_of``) and the ``reports.refresh_results`` job keeps it up to date."""
    return service.refresh_report(db, report=service.access_report(db, user, report_id),
                                  actor=user, tz_name=tz)


@router.get("/{report_id}/chart.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}},
            summary="The saved report's chart (server-side SVG)")
def report_chart(report_id: uuid.UUID, db: DbSession, user: CurrentUser,
                 tz: Tz = None) -> Response:
    r = service.access_report(db, user, report_id)
    result = service.run_report(db, user, r, tz)
    svg = for_result(r.name, r.chart if r.chart != "table" else "bar", result.columns,
                     result.rows)
    return Response(str(svg or ""), media_type="image/svg+xml")


@router.get("/{report_id}/export", response_class=Response,
            responses={200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-"
                                         "officedocument.spreadsheetml.sheet": {}}}})
def export_report(report_id: uuid.UUID, db: DbSession, user: CurrentUser,
                  format: Literal["csv", "xlsx"] = "csv", tz: Tz = None) -> Response:
    """The result as CSV (exact decimals) or XLSX (one sheet)."""
    r = service.access_report(db, user, report_id)
    result = service.run_report(db, user, r, tz)
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", r.name).strip("-") or "report"
    if format == "xlsx":
        return Response(service.to_xlsx(result, r.name), media_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'})
    return Response(service.to_csv(result), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
