"""Outbound webhook subscriptions, their deliveries, and the broker publishing cursor.

Revision ID: 0011
Revises: 0010
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from amity.core.db import UTCDateTime

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('broker_cursors',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('last_occurred_at', UTCDateTime(), nullable=True),
    sa.Column('last_event_id', sa.Uuid(), nullable=True),
    sa.Column('published', sa.Integer(), nullable=False),
    sa.Column('lease_owner', sa.String(length=120), nullable=True),
    sa.Column('lease_until', UTCDateTime(), nullable=True),
    sa.Column('last_published_at', UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', UTCDateTime(), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_broker_cursors'))
    )
    op.create_table('webhook_subscriptions',
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('event_types', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=500), nullable=True),
    sa.Column('disabled_at', UTCDateTime(), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('failing_since', UTCDateTime(), nullable=True),
    sa.Column('last_success_at', UTCDateTime(), nullable=True),
    sa.Column('last_failure_at', UTCDateTime(), nullable=True),
    sa.Column('next_seq', sa.Integer(), nullable=False),
    sa.Column('sender_owner', sa.String(length=120), nullable=True),
    sa.Column('sender_until', UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscriptions'))
    )
    op.create_index(op.f('ix_webhook_subscriptions_created_at'), 'webhook_subscriptions', ['created_at'], unique=False)
    op.create_index(op.f('ix_webhook_subscriptions_deleted_at'), 'webhook_subscriptions', ['deleted_at'], unique=False)
    op.create_index(op.f('ix_webhook_subscriptions_updated_at'), 'webhook_subscriptions', ['updated_at'], unique=False)
    op.create_table('webhook_deliveries',
    sa.Column('subscription_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.Uuid(), nullable=True),
    sa.Column('event_type', sa.String(length=80), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('delivered_at', UTCDateTime(), nullable=True),
    sa.Column('last_attempt_at', UTCDateTime(), nullable=True),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('response_excerpt', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscriptions.id'], name=op.f('fk_webhook_deliveries_subscription_id_webhook_subscriptions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('subscription_id', 'event_id', name=op.f('uq_webhook_deliveries_subscription_id_event_id')),
    sa.UniqueConstraint('subscription_id', 'seq', name=op.f('uq_webhook_deliveries_subscription_id_seq'))
    )
    op.create_index('ix_webhook_deliveries_sub_created', 'webhook_deliveries', ['subscription_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_webhook_deliveries_sub_status_seq', 'webhook_deliveries', ['subscription_id', 'status', 'seq'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_webhook_deliveries_sub_status_seq', table_name='webhook_deliveries')
    op.drop_index('ix_webhook_deliveries_sub_created', table_name='webhook_deliveries')
    op.drop_table('webhook_deliveries')
    op.drop_index(op.f('ix_webhook_subscriptions_updated_at'), table_name='webhook_subscriptions')
    op.drop_index(op.f('ix_webhook_subscriptions_deleted_at'), table_name='webhook_subscriptions')
    op.drop_index(op.f('ix_webhook_subscriptions_created_at'), table_name='webhook_subscriptions')
    op.drop_table('webhook_subscriptions')
    op.drop_table('broker_cursors')
