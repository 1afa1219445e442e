"""Permission-matrix entries for saved reports (see matrix.py): every reader of reports
(``reports.view``) keeps their own reports, so ``{report_id}`` is a private report of the acting
user; running it counts only the rows they may see."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from amity.reports.models import SavedReport
from tests.auth.matrix_base import Op, _json

REPORTS_IDS = ("report_id",)
DEFINITION = {"entity": "contacts", "dimensions": [{"field": "lifecycle_stage"}]}

REPORTS: dict[tuple[str, str], Op] = {
    ("GET", "/api/v1/reports"): Op("reports.view", 200),
    ("POST", "/api/v1/reports"): Op("reports.view", 201, body=_json(
        {"name": "Matrix report", "definition": DEFINITION})),
    ("POST", "/api/v1/reports/run"): Op("reports.view", 200, body=_json(DEFINITION)),
    ("GET", "/api/v1/reports/{report_id}"): Op("reports.view", 200),
    ("PATCH", "/api/v1/reports/{report_id}"): Op("reports.view", 200,
                                                 body=_json({"name": "Renamed"})),
    ("DELETE", "/api/v1/reports/{report_id}"): Op("reports.view", 204),
    ("GET", "/api/v1/reports/{report_id}/run"): Op("reports.view", 200),
    ("POST", "/api/v1/reports/{report_id}/refresh"): Op("reports.view", 200),
    ("GET", "/api/v1/reports/{report_id}/chart.svg"): Op("reports.view", 200),
    ("GET", "/api/v1/reports/{report_id}/export"): Op("reports.view", 200),
}


def reports_targets(s: Session, path: str, actor_id: uuid.UUID) -> dict[str, Any]:
    if "{report_id}" not in path:
        return {}
    report = SavedReport(id=uuid.uuid4(), owner_id=actor_id, name="Target",
                         visibility="private", definition=DEFINITION, chart="bar",
                         digest="none")
    s.add(report)
    s.flush()
    return {"report_id": report.id}
