"""Permission-matrix entries for the commerce API (see matrix.py)."""

from __future__ import annotations

from tests.auth.matrix_base import Op

COMMERCE: dict[tuple[str, str], Op] = {
}
