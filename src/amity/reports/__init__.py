"""Reports: the report builder (saved, shared report definitions over contacts, companies,
deals, orders, order lines, tickets and interactions, each compiled to one SQL aggregate), their
CSV/XLSX exports, server-side SVG charts and the email digest of a saved report."""

from amity.reports.models import SavedReport
from amity.reports.schemas import (
    ReportCreate,
    ReportDefinition,
    ReportRead,
    ReportResult,
    ReportUpdate,
)

__all__ = ["ReportCreate", "ReportDefinition", "ReportRead", "ReportResult", "ReportUpdate",
           "SavedReport"]
