"""The email digest of a saved report: its result as an HTML table (and the same as plain
text), sent to the report's owner and computed within the owner's access scope, daily or
weekly (Mondays), by the ``reports.digest`` job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.reports.charts import fmt
from amity.reports.models import SavedReport
from amity.reports.schemas import ReportResult


def due(db: Session, at: datetime) -> list[SavedReport]:
    """Reports whose digest goes out on ``at``'s day (UTC): daily ones, and weekly ones on a
    Monday."""
    wanted = ["daily", "weekly"] if at.weekday() == 0 else ["daily"]
    return list(db.scalars(select(SavedReport).where(SavedReport.digest.in_(wanted))
                           .order_by(SavedReport.id)))


def _cell(value: Any) -> str:
    return fmt(value) if value is not None else ""


def subject(report: SavedReport) -> str:
    kind = "Daily" if report.digest == "daily" else "Weekly"
    name = " ".join(report.name.split())  # no line breaks in a header
    return f"{kind} report: {name}"


def as_text(report: SavedReport, result: ReportResult, link: str) -> str:
    lines = [report.name, ""]
    lines.append(" | ".join(c.label for c in result.columns))
    lines += [" | ".join(_cell(v) for v in row) for row in result.rows]
    if result.truncated:
        lines.append(f"(first {len(result.rows)} rows)")
    lines += ["", f"Times in {result.time_zone}. Open it: {link}"]
    return "\n".join(lines)


def as_html(report: SavedReport, result: ReportResult, link: str) -> str:
    """A self-contained HTML body (no remote images or styles beyond inline attributes)."""
    head = "".join(f'<th scope="col" align="left">{escape(c.label)}</th>'
                   for c in result.columns)
    body = "".join(
        "<tr>" + "".join(f'<td{" align=right" if c.kind == "measure" else ""}>'
                         f"{escape(_cell(v))}</td>" for c, v in zip(result.columns, row,
                                                                     strict=False)) + "</tr>"
        for row in result.rows) or (f'<tr><td colspan="{len(result.columns)}">No rows.</td>'
                                    "</tr>")
    more = (f"<p>First {len(result.rows)} rows.</p>" if result.truncated else "")
    html = (f"<!doctype html><html><body><h1>{escape(report.name)}</h1>"
            f'<table border="1" cellpadding="4" cellspacing="0"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>{more}<p>Times in {escape(result.time_zone)}. "
            f'<a href="{escape(link)}">Open the report</a></p></body></html>')
    return str(Markup(html))  # noqa: S704 -- every value above went through escape
