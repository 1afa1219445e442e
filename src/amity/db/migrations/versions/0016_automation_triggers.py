"""No schema change: workflow triggers needed no new tables. The revision stays so the chain
matches databases that recorded it.

Revision ID: 0016
Revises: 0015
"""
from __future__ import annotations

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
