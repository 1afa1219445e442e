"""Analytics at scale: each customer's counted orders with the time of their next one
(analytics_customer_orders, per currency and owner key), so retention and churn are range
counts over a roll-up instead of a GROUP BY customer over the orders; saved reports' stored
results (report_results: per report and reader scope, with the time they are exact for).

Revision ID: 0027
Revises: 0026
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from amity.core.db import UTCDateTime

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


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
    op.create_table('report_results',
    sa.Column('report_id', sa.Uuid(), nullable=False),
    sa.Column('scope_key', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('computed_at', UTCDateTime(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('result', JSON, nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'],
                            name=op.f('fk_report_results_report_id_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_report_results_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'scope_key', name=op.f('pk_report_results'))
    )
    op.create_index(op.f('ix_report_results_user_id'), 'report_results', ['user_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_report_results_user_id'), table_name='report_results')
    op.drop_table('report_results')
    op.drop_index('ix_analytics_customer_orders_contact', table_name='analytics_customer_orders')
    op.drop_index('ix_analytics_customer_orders_at', table_name='analytics_customer_orders')
    op.drop_table('analytics_customer_orders')
