"""Permission-matrix entries for the deals API (see matrix.py)."""

from __future__ import annotations

from tests.auth.matrix_base import Op

DEALS: dict[tuple[str, str], Op] = {
}
PIPELINES: dict[tuple[str, str], Op] = {
}
