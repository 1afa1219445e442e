"""Saved list views: a list's filters, sort and columns, private or shared with a team or
everyone.

Revision ID: 0017
Revises: 0016
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from amity.core.db import UTCDateTime

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('saved_views',
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('visibility', sa.String(length=10), nullable=False),
    sa.Column('team_id', sa.Uuid(), nullable=True),
    sa.Column('params', JSON, nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_saved_views_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_saved_views_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_views'))
    )
    op.create_index('ix_saved_views_entity_owner', 'saved_views', ['entity', 'owner_id'], unique=False)
    op.create_index(op.f('ix_saved_views_team_id'), 'saved_views', ['team_id'], unique=False)
    op.create_index(op.f('ix_saved_views_created_at'), 'saved_views', ['created_at'], unique=False)
    op.create_index(op.f('ix_saved_views_updated_at'), 'saved_views', ['updated_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_saved_views_updated_at'), table_name='saved_views')
    op.drop_index(op.f('ix_saved_views_created_at'), table_name='saved_views')
    op.drop_index(op.f('ix_saved_views_team_id'), table_name='saved_views')
    op.drop_index('ix_saved_views_entity_owner', table_name='saved_views')
    op.drop_table('saved_views')
