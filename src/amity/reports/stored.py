"""Stored results of saved reports: a report over millions of rows answers from its last result,
exact as of the time it was computed, instead of aggregating the live tables on every view.

A stored result belongs to a report and a reader scope. The key hashes the compiled statement
(the reader's access conditions are part of it) with its parameters and the time zone, so
readers who would run the same SQL share one result and a reader with a narrower scope never
reads a wider one's numbers; a changed definition compiles to another key, so nobody reads a
result of the old one. ``store`` runs the report now and keeps its result (the report's
Refresh button; ``POST /api/v1/reports/{id}/refresh``); ``refresh_all`` (the
``reports.refresh_results`` job, every 10 minutes) runs each stored one again as the user it was
computed for, and drops those whose user may no longer read the report. ``read`` answers from
the stored result for the reader's scope when there is one (``as_of`` set), else runs the
report now (``as_of`` None).
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.auth.access import Permission, scope_for
from amity.auth.models import User
from amity.auth.sharing import may_see
from amity.core.clock import now
from amity.core.errors import DomainError
from amity.reports.compiler import Compiled, compile_report, register_sqlite_functions
from amity.reports.models import SavedReport, StoredResult
from amity.reports.schemas import ReportDefinition, ReportResult


def execute(db: Session, compiled: Compiled, entity: str, tz: str) -> ReportResult:
    """Run a compiled report: one aggregate statement."""
    register_sqlite_functions(db)
    rows = list(db.execute(compiled.statement))
    truncated = len(rows) > compiled.limit
    cells = [[read(row) for read in compiled.readers] for row in rows[:compiled.limit]]
    return ReportResult(entity=entity, time_zone=tz, columns=compiled.columns,
                        rows=cells, truncated=truncated)


def scope_key(db: Session, compiled: Compiled, tz: str) -> str:
    c = compiled.statement.compile(dialect=db.get_bind().dialect)
    params = sorted((k, repr(sorted(v, key=str) if isinstance(v, list | tuple | set) else v))
                    for k, v in c.params.items())
    return hashlib.sha256(f"{c}\n{params}\n{tz}".encode()).hexdigest()


def _compiled(db: Session, user: User, report: SavedReport,
              tz_name: str | None) -> tuple[Compiled, str, str]:
    tz = tz_name or user.time_zone or "UTC"
    compiled = compile_report(db, user, ReportDefinition.model_validate(report.definition), tz)
    return compiled, tz, scope_key(db, compiled, tz)


def _loaded(data: dict[str, Any], at: datetime) -> ReportResult:
    result = ReportResult.model_validate({**data, "as_of": at})
    measures = [c.kind == "measure" for c in result.columns]
    result.rows = [[Decimal(v) if m and isinstance(v, str) else v
                    for v, m in zip(row, measures, strict=True)] for row in result.rows]
    return result


def read(db: Session, user: User, report: SavedReport,
         tz_name: str | None = None) -> ReportResult:
    """The stored result for the user's scope, else the report run now."""
    compiled, tz, key = _compiled(db, user, report, tz_name)
    row = db.get(StoredResult, (report.id, key))
    if row is not None:
        return _loaded(row.result, row.computed_at)
    return execute(db, compiled, str(report.definition["entity"]), tz)


def store(db: Session, *, report: SavedReport, user: User,
          tz_name: str | None = None) -> ReportResult:
    """Run the report now as ``user`` and keep the result for their scope."""
    compiled, tz, key = _compiled(db, user, report, tz_name)
    t0 = time.perf_counter()
    result = execute(db, compiled, str(report.definition["entity"]), tz)
    ms = int((time.perf_counter() - t0) * 1000)
    at = now()
    data = result.model_dump(mode="json", exclude={"as_of"})
    row = db.get(StoredResult, (report.id, key))
    if row is None:
        db.add(StoredResult(report_id=report.id, scope_key=key, user_id=user.id, time_zone=tz,
                            computed_at=at, duration_ms=ms, result=data))
    else:
        row.user_id, row.computed_at, row.duration_ms, row.result = user.id, at, ms, data
    db.flush()
    result.as_of = at
    return result


def refresh_all(db: Session) -> tuple[int, int]:
    """Run every stored result again as its user; (refreshed, dropped)."""
    done = dropped = 0
    for row in list(db.scalars(select(StoredResult).order_by(StoredResult.computed_at))):
        user, report = db.get(User, row.user_id), db.get(SavedReport, row.report_id)
        allowed = (user is not None and report is not None
                   and scope_for(user, Permission.REPORTS_VIEW) != "none"
                   and may_see(db, user, owner_id=report.owner_id,
                               visibility=report.visibility, team_id=report.team_id))
        if allowed:
            assert user is not None and report is not None
            try:
                key = _compiled(db, user, report, row.time_zone)[2]
            except DomainError:  # the definition no longer fits (a field was removed)
                key = ""
            if key == row.scope_key:
                store(db, report=report, user=user, tz_name=row.time_zone)
                done += 1
                continue
        # the user's scope or the definition changed: the next Refresh stores it anew
        db.delete(row)
        db.flush()
        dropped += 1
    return done, dropped


__all__ = ["execute", "read", "refresh_all", "scope_key", "store"]
