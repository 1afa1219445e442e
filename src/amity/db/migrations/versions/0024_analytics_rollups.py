"""Analytics roll-ups for the KPI dashboard: orders and interactions per UTC day and owner,
each customer's first counted order per currency and owner (and how many first orders fell on
each day), the ledger of what each source
row counted for (analytics_rollup_keys) and each source's refresh watermark; indexes on the
tickets' first-response, resolution and satisfaction times for the ticket KPIs' ranges.

Revision ID: 0024
Revises: 0023
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from amity.core.db import UTCDateTime

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_order_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('revenue', sa.BigInteger(), nullable=False),
    sa.Column('customer_revenue', sa.BigInteger(), nullable=False),
    )
    op.create_index('ix_analytics_order_days', 'analytics_order_days',
                    ['currency', 'day', 'owner_id'], unique=False)
    op.create_table('analytics_interaction_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('emails_sent', sa.Integer(), nullable=False),
    sa.Column('meetings', sa.Integer(), nullable=False),
    )
    op.create_index('ix_analytics_interaction_days', 'analytics_interaction_days',
                    ['day', 'owner_id'], unique=False)
    op.create_table('analytics_customer_first',
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('owner_key', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('first_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'],
                            name=op.f('fk_analytics_customer_first_contact_id_contacts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('currency', 'owner_key', 'contact_id',
                            name=op.f('pk_analytics_customer_first'))
    )
    op.create_index('ix_analytics_customer_first_at', 'analytics_customer_first',
                    ['currency', 'owner_key', 'first_at'], unique=False)
    op.create_index('ix_analytics_customer_first_contact', 'analytics_customer_first',
                    ['contact_id'], unique=False)
    op.create_table('analytics_first_days',
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('owner_key', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    )
    op.create_index('ix_analytics_first_days', 'analytics_first_days',
                    ['currency', 'owner_key', 'day'], unique=False)
    op.create_table('analytics_rollup_keys',
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('contact_id', sa.Uuid(), nullable=True),
    sa.PrimaryKeyConstraint('source', 'record_id', name=op.f('pk_analytics_rollup_keys'))
    )
    op.create_table('analytics_rollup_state',
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('watermark', UTCDateTime(), nullable=False),
    sa.Column('refreshed_at', UTCDateTime(), nullable=False),
    sa.Column('rebuilt_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('source', name=op.f('pk_analytics_rollup_state'))
    )
    op.create_index('ix_tickets_first_responded_at', 'tickets', ['first_responded_at'],
                    unique=False)
    op.create_index('ix_tickets_resolved_at', 'tickets', ['resolved_at'], unique=False)
    op.create_index('ix_tickets_satisfaction_at', 'tickets', ['satisfaction_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_tickets_satisfaction_at', table_name='tickets')
    op.drop_index('ix_tickets_resolved_at', table_name='tickets')
    op.drop_index('ix_tickets_first_responded_at', table_name='tickets')
    op.drop_table('analytics_rollup_state')
    op.drop_table('analytics_rollup_keys')
    op.drop_index('ix_analytics_first_days', table_name='analytics_first_days')
    op.drop_table('analytics_first_days')
    op.drop_index('ix_analytics_customer_first_contact', table_name='analytics_customer_first')
    op.drop_index('ix_analytics_customer_first_at', table_name='analytics_customer_first')
    op.drop_table('analytics_customer_first')
    op.drop_index('ix_analytics_interaction_days', table_name='analytics_interaction_days')
    op.drop_table('analytics_interaction_days')
    op.drop_index('ix_analytics_order_days', table_name='analytics_order_days')
    op.drop_table('analytics_order_days')
