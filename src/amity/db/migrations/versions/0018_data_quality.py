"""Data-quality audits and stewards.

Revision ID: 0018
Revises: 0017
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from amity.core.db import UTCDateTime

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('data_stewards',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('segment_tag', sa.String(length=80), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_data_stewards_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                            name=op.f('fk_data_stewards_created_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_stewards')),
    sa.UniqueConstraint('user_id', 'entity', 'segment_tag',
                        name=op.f('uq_data_stewards_user_id_entity_segment_tag')))
    op.create_index(op.f('ix_data_stewards_user_id'), 'data_stewards', ['user_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_data_stewards_user_id'), table_name='data_stewards')
    op.drop_table('data_stewards')
