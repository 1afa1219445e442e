"""Permission-matrix entries for the forecast API (see matrix.py)."""

from __future__ import annotations

from tests.auth.matrix_base import Op

FORECAST: dict[tuple[str, str], Op] = {
}
