"""``amity reports list | run | export`` from a terminal.

``list`` shows every saved report (the command line runs with the database's full rights).
``run`` and ``export`` compute a saved report as a user sees the data: its owner by default,
or ``--as EMAIL``; the same single SQL aggregate as the API and the web page.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from amity.cli_tickets import _database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from amity.auth.models import User
    from amity.reports.models import SavedReport
    from amity.reports.schemas import ReportResult

reports_app = typer.Typer(help="Saved reports: list, run, export CSV/XLSX.",
                          no_args_is_help=True)
console = Console()
err = Console(stderr=True)
AsUser = Annotated[str | None, typer.Option("--as", help="Run as this user (email); default: "
                                            "the report's owner")]
Tz = Annotated[str | None, typer.Option(help="Time zone (default: the user's)")]


def _load(s: Session, report_id: str, as_email: str | None) -> tuple[SavedReport, User]:
    from sqlalchemy import select

    from amity.auth.models import User
    from amity.core.errors import DomainError
    from amity.reports import service
    from amity.reports.models import SavedReport

    try:
        report = s.get(SavedReport, uuid.UUID(report_id))
    except ValueError:
        report = None
    if report is None:
        raise DomainError("report.not_found", f"No saved report {report_id}")
    user = (s.scalar(select(User).where(User.email == as_email.strip().lower()))
            if as_email else s.get(User, report.owner_id))
    if user is None:
        raise DomainError("user.not_found", f"No user {as_email}")
    if as_email:  # the user must be allowed to see the report itself
        report = service.access_report(s, user, report.id)
    return report, user


@reports_app.command("list")
def list_reports() -> None:
    """Every saved report: id, name, entity, owner, sharing and email digest."""
    from rich.table import Table
    from sqlalchemy import select

    from amity.auth.models import User
    from amity.reports.models import SavedReport

    database = _database()
    try:
        with database.transaction(write=False) as s:
            rows = list(s.execute(select(SavedReport, User.email)
                                  .join(User, User.id == SavedReport.owner_id)
                                  .order_by(SavedReport.name, SavedReport.id)))
            table = Table(title="Saved reports")
            table.add_column("id", no_wrap=True, min_width=36)
            for column in ("name", "entity", "owner", "shared", "digest"):
                table.add_column(column)
            for r, email in rows:
                table.add_row(str(r.id), r.name, str(r.definition.get("entity", "")), email,
                              r.visibility, r.digest)
    finally:
        database.dispose()
    console.print(table)


def _result(report_id: str, as_email: str | None, tz: str | None
            ) -> tuple[SavedReport, ReportResult]:
    from amity.core.errors import DomainError
    from amity.reports import service

    database = _database()
    try:
        with database.transaction(write=False) as s:
            report, user = _load(s, report_id, as_email)
            result = service.run_report(s, user, report, tz)
            s.expunge(report)
            return report, result
    except DomainError as exc:
        err.print(f"[red]{exc.message}[/]")
        raise typer.Exit(2) from exc
    finally:
        database.dispose()


@reports_app.command("run")
def run_report(report_id: str, as_email: AsUser = None, tz: Tz = None) -> None:
    """Print a saved report's result as a table."""
    from rich.table import Table

    from amity.reports.charts import fmt

    report, result = _result(report_id, as_email, tz)
    table = Table(title=f"{report.name} ({result.time_zone})")
    for c in result.columns:
        table.add_column(c.label, justify="right" if c.kind == "measure" else "left")
    for row in result.rows:
        table.add_row(*["" if v is None else fmt(v) for v in row])
    console.print(table)
    if result.truncated:
        console.print(f"Only the first {len(result.rows)} groups (the report's limit).")


@reports_app.command("export")
def export_report(report_id: str,
                  output: Annotated[Path, typer.Option("--output", "-o", dir_okay=False)],
                  format: Annotated[str, typer.Option(help="csv or xlsx")] = "csv",
                  as_email: AsUser = None, tz: Tz = None) -> None:
    """Write a saved report's result to a CSV (exact decimals) or XLSX file."""
    if format not in ("csv", "xlsx"):
        err.print("[red]--format is csv or xlsx[/]")
        raise typer.Exit(2)
    from amity.reports import service

    report, result = _result(report_id, as_email, tz)
    if format == "xlsx":
        output.write_bytes(service.to_xlsx(result, report.name))
    else:
        output.write_text(service.to_csv(result), encoding="utf-8")
    console.print(f"{len(result.rows)} rows written to {output}")
