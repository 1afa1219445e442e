"""No schema change (reserved for imports of deals, products, orders and interactions, not built
yet). The revision stays so the chain matches databases that recorded it.

Revision ID: 0022
Revises: 0021
"""
from __future__ import annotations

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
