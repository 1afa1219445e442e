"""Permission-matrix entries for the analytics API (see matrix.py)."""

from __future__ import annotations

from tests.auth.matrix_base import Op

ANALYTICS: dict[tuple[str, str], Op] = {
    # aggregates over the records in the reader's reports.view scope
    ("GET", "/api/v1/analytics/kpis"): Op("reports.view", 200),
    ("GET", "/api/v1/analytics/sales"): Op("reports.view", 200),
    ("GET", "/api/v1/analytics/cohorts"): Op("reports.view", 200),
    ("GET", "/api/v1/analytics/repeat-purchases"): Op("reports.view", 200),
    ("GET", "/api/v1/analytics/rfm"): Op("reports.view", 200),
    ("GET", "/api/v1/analytics/leaderboard"): Op("reports.view", 200),
    ("GET", "/api/v1/analytics/attribution"): Op("reports.view", 200),
    # about one contact: whoever may see the contact
    ("GET", "/api/v1/analytics/contacts/{contact_id}/relationship-value"): Op(
        "contacts.view", 200, record=True),
    # recomputes everyone's scores: an administrator's (settings.edit) action
    ("POST", "/api/v1/analytics/rfm/refresh"): Op("settings.edit", 202),
    ("POST", "/api/v1/analytics/rollups/rebuild"): Op("settings.edit", 202),
}
