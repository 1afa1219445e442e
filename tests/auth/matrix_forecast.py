"""Permission-matrix entries for the forecast API (see matrix.py)."""

from __future__ import annotations

from tests.auth.matrix_base import Op

FORECAST: dict[tuple[str, str], Op] = {
    # sums over the deals the reader may see
    ("GET", "/api/v1/forecast"): Op("deals.view", 200),
    # reports.view; a reader who sees no deals gets empty statistics
    ("GET", "/api/v1/sales-stats"): Op("reports.view", 200),
}
