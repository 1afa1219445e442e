"""Permission-matrix entries for the jobs API (see matrix.py)."""

from __future__ import annotations

from tests.auth.matrix_base import Op

JOBS: dict[tuple[str, str], Op] = {
}
