"""Saved reports (the report builder): definition, chart, sharing and email digest.

Revision ID: 0023
Revises: 0022
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from amity.core.db import UTCDateTime

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('reports',
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('visibility', sa.String(length=10), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=True),
    sa.Column('definition', JSON, nullable=False),
    sa.Column('chart', sa.String(length=10), nullable=False),
    sa.Column('digest', sa.String(length=10), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_reports_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_reports_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports'))
    )
    op.create_index('ix_reports_owner', 'reports', ['owner_id', 'name'], unique=False)
    op.create_index('ix_reports_digest', 'reports', ['digest'], unique=False)
    op.create_index(op.f('ix_reports_team_id'), 'reports', ['team_id'], unique=False)
    op.create_index(op.f('ix_reports_created_at'), 'reports', ['created_at'], unique=False)
    op.create_index(op.f('ix_reports_updated_at'), 'reports', ['updated_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_reports_updated_at'), table_name='reports')
    op.drop_index(op.f('ix_reports_created_at'), table_name='reports')
    op.drop_index(op.f('ix_reports_team_id'), table_name='reports')
    op.drop_index('ix_reports_digest', table_name='reports')
    op.drop_index('ix_reports_owner', table_name='reports')
    op.drop_table('reports')
