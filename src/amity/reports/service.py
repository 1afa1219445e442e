"""Saved reports: create, change, delete (audited), who sees them, running and exporting.

A report is private to its owner, shared with one team (its members and manager) or with
everyone. Sharing shares the definition, not the numbers: each reader runs it within their own
access scope, so a shared report never shows a row its reader could not list. Only the owner
(or an administrator) changes or deletes it.
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from openpyxl import Workbook
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from amity.auth.access import Permission, require
from amity.auth.models import User
from amity.auth.sharing import check_share, may_see, my_team_ids
from amity.core import audit
from amity.core.errors import Forbidden, NotFound, PreconditionFailed
from amity.dataio.export import safe_cell
from amity.reports import stored
from amity.reports.compiler import compile_report
from amity.reports.models import SavedReport
from amity.reports.schemas import ReportCreate, ReportDefinition, ReportResult, ReportUpdate


def _snapshot(r: SavedReport) -> dict[str, Any]:
    return {"name": r.name, "visibility": r.visibility, "team_id": r.team_id,
            "definition": dict(r.definition), "chart": r.chart, "digest": r.digest}


def visible_reports(db: Session, user: User) -> list[SavedReport]:
    """The user's own reports and those shared with everyone or one of their teams; by name."""
    require(user, Permission.REPORTS_VIEW)
    teams = sorted(my_team_ids(db, user))
    cond = or_(SavedReport.owner_id == user.id, SavedReport.visibility == "everyone",
               (SavedReport.visibility == "team") & SavedReport.team_id.in_(teams))
    return list(db.scalars(select(SavedReport).where(cond)
                           .order_by(SavedReport.name, SavedReport.id)))


def access_report(db: Session, user: User, report_id: uuid.UUID, *,
                  change: bool = False) -> SavedReport:
    """A report the user may see (404 otherwise); ``change``: its owner or an admin (403)."""
    require(user, Permission.REPORTS_VIEW)
    report = db.get(SavedReport, report_id)
    if report is None:
        raise NotFound("report")
    mine = report.owner_id == user.id
    if not may_see(db, user, owner_id=report.owner_id, visibility=report.visibility,
                   team_id=report.team_id):
        raise NotFound("report")
    if change and not (mine or user.is_admin):
        raise Forbidden("Only the person who saved this report can change it")
    return report


def run_definition(db: Session, user: User, definition: ReportDefinition,
                   tz_name: str | None = None) -> ReportResult:
    """Run a definition as ``user`` sees the data: one aggregate statement."""
    tz = tz_name or user.time_zone or "UTC"
    return stored.execute(db, compile_report(db, user, definition, tz), definition.entity, tz)


def run_report(db: Session, user: User, report: SavedReport,
               tz_name: str | None = None, *, fresh: bool = False) -> ReportResult:
    """The report as ``user`` sees the data: its stored result for the user's scope if there
    is one (``as_of`` says when it was computed; reports.stored), else run now (``fresh``:
    always run now)."""
    if fresh:
        return run_definition(db, user, ReportDefinition.model_validate(report.definition),
                              tz_name)
    return stored.read(db, user, report, tz_name)


def refresh_report(db: Session, *, report: SavedReport, actor: User,
                   tz_name: str | None = None) -> ReportResult:
    """Run the report now and store its result for the actor's scope (reports.stored)."""
    return stored.store(db, report=report, user=actor, tz_name=tz_name)


def create_report(db: Session, *, data: ReportCreate, actor: User) -> SavedReport:
    compile_report(db, actor, data.definition, actor.time_zone or "UTC")  # 422 if invalid
    check_share(db, actor, data.visibility, data.team_id, thing="report")
    report = SavedReport(id=uuid.uuid4(), owner_id=actor.id, name=data.name,
                         visibility=data.visibility,
                         team_id=data.team_id if data.visibility == "team" else None,
                         definition=data.definition.model_dump(mode="json"),
                         chart=data.chart, digest=data.digest)
    db.add(report)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="report",
                 entity_id=report.id, changes={k: [None, v] for k, v in _snapshot(report).items()})
    return report


def update_report(db: Session, *, report: SavedReport, data: ReportUpdate, actor: User,
                  expected_version: int | None = None) -> SavedReport:
    if expected_version is not None and expected_version != report.version:
        raise PreconditionFailed()
    before = _snapshot(report)
    given = data.model_fields_set
    if data.definition is not None:
        compile_report(db, actor, data.definition, actor.time_zone or "UTC")
        report.definition = data.definition.model_dump(mode="json")
    for key in ("name", "chart", "digest", "visibility"):
        if key in given and getattr(data, key) is not None:
            setattr(report, key, getattr(data, key))
    if "team_id" in given or "visibility" in given:
        report.team_id = data.team_id if "team_id" in given else report.team_id
        if report.visibility != "team":
            report.team_id = None
        check_share(db, actor, report.visibility, report.team_id, thing="report")
    after = _snapshot(report)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changed:
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="report",
                     entity_id=report.id, changes=changed)
    return report


def delete_report(db: Session, *, report: SavedReport, actor: User) -> None:
    audit.record(db, actor_id=actor.id, action="delete", entity_type="report",
                 entity_id=report.id, changes={k: [v, None] for k, v in _snapshot(report).items()})
    db.delete(report)
    db.flush()


def _plain(cell: Any) -> Any:
    """Empty for none; text a spreadsheet would run as a formula neutralised."""
    return "" if cell is None else safe_cell(cell)


def to_csv(result: ReportResult) -> str:
    """Header of column labels, then one line per group; decimals written exactly."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([c.label for c in result.columns])
    for row in result.rows:
        w.writerow([_plain(c) for c in row])
    return out.getvalue()


def to_xlsx(result: ReportResult, title: str) -> bytes:
    """One sheet; numbers as numbers (Excel stores doubles: the CSV is the exact copy)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = (title or "Report")[:31].translate({ord(c): " " for c in "[]:*?/\\"}) or "Report"
    ws.append([c.label for c in result.columns])
    for row in result.rows:
        ws.append([_plain(c) for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
