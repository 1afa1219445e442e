"""Analytics roll-ups: each customer's RFM scores and segment (analytics_rfm); covering indexes
for the dashboard's range scans over orders and interactions.

Revision ID: 0019
Revises: 0018
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from amity.core.db import UTCDateTime

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_rfm',
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('last_order_at', UTCDateTime(), nullable=False),
    sa.Column('recency_days', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.Integer(), nullable=False),
    sa.Column('monetary', sa.BigInteger(), nullable=False),
    sa.Column('r_score', sa.Integer(), nullable=False),
    sa.Column('f_score', sa.Integer(), nullable=False),
    sa.Column('m_score', sa.Integer(), nullable=False),
    sa.Column('segment', sa.String(length=30), nullable=False),
    sa.Column('computed_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_analytics_rfm_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', name=op.f('pk_analytics_rfm'))
    )
    op.create_index('ix_analytics_rfm_segment', 'analytics_rfm', ['segment', 'monetary'], unique=False)
    op.create_index('ix_orders_analytics', 'orders', ['currency', 'ordered_at'], unique=False, postgresql_include=['contact_id', 'total', 'status', 'owner_id', 'deleted_at'])
    op.create_index('ix_interactions_analytics', 'interactions', ['occurred_at', 'owner_id', 'channel', 'direction'], unique=False, postgresql_include=['deleted_at'])


def downgrade() -> None:
    op.drop_index('ix_interactions_analytics', table_name='interactions')
    op.drop_index('ix_orders_analytics', table_name='orders')
    op.drop_index('ix_analytics_rfm_segment', table_name='analytics_rfm')
    op.drop_table('analytics_rfm')
