"""Custom field definitions can be archived: custom_field_definitions.archived_at.

An archived field keeps every stored value; it is hidden from forms and refused on new writes
until it is restored (null again).

Revision ID: 0026
Revises: 0025
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from amity.core.db import UTCDateTime

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('custom_field_definitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('custom_field_definitions', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
