"""Teams in the analytics roll-ups: analytics_team_members holds each team's members as the
roll-ups last saw them; the customer tables get rows per team (owner_key = the team's id),
built by the next refresh (until then a team's numbers are counted live, as before).

Revision ID: 0030
Revises: 0029
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_team_members',
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_analytics_team_members'))
    )
    op.create_index('ix_analytics_team_members_user', 'analytics_team_members', ['user_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_analytics_team_members_user', table_name='analytics_team_members')
    op.drop_table('analytics_team_members')
