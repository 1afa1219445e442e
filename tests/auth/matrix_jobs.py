"""Permission-matrix entries for the jobs API (see matrix.py): administrators only.

``{job_id}`` is a fresh dead job (tests/auth/test_matrix.py:_settings_targets), so a retry
that is allowed answers 200.
"""

from __future__ import annotations

from tests.auth.matrix_base import Op

JOBS: dict[tuple[str, str], Op] = {
    ("GET", "/api/v1/jobs"): Op("settings.edit", 200),
    ("GET", "/api/v1/jobs/stats"): Op("settings.edit", 200),
    ("GET", "/api/v1/jobs/{job_id}"): Op("settings.edit", 200),
    ("POST", "/api/v1/jobs/{job_id}/retry"): Op("settings.edit", 200),
}
