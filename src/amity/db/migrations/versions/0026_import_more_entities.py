"""Placeholder: import_more_entities (filled in before it lands, or removed).

Revision ID: 0026
Revises: 0025
"""
from __future__ import annotations

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
