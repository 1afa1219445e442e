"""Analytics at scale: each customer's counted orders with the time of their next one
(analytics_customer_orders, per currency and owner key), so retention and churn are range
counts over a roll-up instead of a GROUP BY customer over the orders.

Revision ID: 0028
Revises: 0027
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from amity.core.db import UTCDateTime

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('analytics_customer_orders',
    sa.Column('owner_key', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('at', UTCDateTime(), nullable=False),
    sa.Column('next_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'],
                            name=op.f('fk_analytics_customer_orders_contact_id_contacts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('owner_key', 'order_id', name=op.f('pk_analytics_customer_orders'))
    )
    op.create_index('ix_analytics_customer_orders_at', 'analytics_customer_orders',
                    ['currency', 'owner_key', 'at'], unique=False,
                    postgresql_include=['next_at', 'contact_id'])
    op.create_index('ix_analytics_customer_orders_contact', 'analytics_customer_orders',
                    ['contact_id', 'currency', 'owner_key', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_analytics_customer_orders_contact', table_name='analytics_customer_orders')
    op.drop_index('ix_analytics_customer_orders_at', table_name='analytics_customer_orders')
    op.drop_table('analytics_customer_orders')
