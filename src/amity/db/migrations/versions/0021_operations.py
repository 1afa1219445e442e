"""No schema change: operations (metrics, logs, replica) needed no tables. The revision stays so
the chain matches databases that recorded it.

Revision ID: 0021
Revises: 0020
"""
from __future__ import annotations

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
