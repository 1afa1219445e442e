"""Retention for the whole business from whole days: analytics_order_pairs counts the order
chain's rows over all owners per (currency, UTC day of the order, UTC day of the customer's
next order), filled here from the chain already built; and an index on the chain's next order
time, for the partial days read live.

Revision ID: 0029
Revises: 0028
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

from amity.core.db import UTCDateTime

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

NIL_OWNER = uuid.UUID(int=0)
NO_NEXT = '9999-12-31'


def upgrade() -> None:
    op.create_table('analytics_order_pairs',
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('next_day', sa.Date(), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('currency', 'day', 'next_day', name=op.f('pk_analytics_order_pairs'))
    )
    op.create_index('ix_analytics_order_pairs', 'analytics_order_pairs',
                    ['currency', 'day', 'next_day'], unique=False,
                    postgresql_include=['customers'])
    op.create_index('ix_analytics_customer_orders_next', 'analytics_customer_orders',
                    ['currency', 'owner_key', 'next_at'], unique=False,
                    postgresql_include=['at'])
    chain = sa.table('analytics_customer_orders', sa.column('owner_key', sa.Uuid()),
                     sa.column('currency', sa.String()), sa.column('at', UTCDateTime()),
                     sa.column('next_at', UTCDateTime()))
    pairs = sa.table('analytics_order_pairs', sa.column('currency', sa.String()),
                     sa.column('day', sa.Date()), sa.column('next_day', sa.Date()),
                     sa.column('customers', sa.Integer()))
    if op.get_bind().dialect.name == 'postgresql':
        day, nxt = (sa.cast(sa.func.timezone('UTC', c), sa.Date)
                    for c in (chain.c.at, chain.c.next_at))
        none = sa.cast(sa.literal(NO_NEXT), sa.Date)
    else:
        day, nxt = sa.func.date(chain.c.at), sa.func.date(chain.c.next_at)
        none = sa.literal(NO_NEXT)
    nxt = sa.func.coalesce(nxt, none)
    op.execute(pairs.insert().from_select(
        ['currency', 'day', 'next_day', 'customers'],
        sa.select(chain.c.currency, day, nxt, sa.func.count())
        .where(chain.c.owner_key == NIL_OWNER).group_by(chain.c.currency, day, nxt)))


def downgrade() -> None:
    op.drop_index('ix_analytics_customer_orders_next', table_name='analytics_customer_orders')
    op.drop_index('ix_analytics_order_pairs', table_name='analytics_order_pairs')
    op.drop_table('analytics_order_pairs')
