"""Interactions, their participants, notifications, calendar feeds.

Also: contacts.last_activity_at, users.time_zone, tasks.due_sort (the task list's non-null sort
key), and the indexes the contact timeline reads (tasks and deals by contact and time).

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from amity.core.db import UTCDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('interactions',
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('subject', sa.String(length=998), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('occurred_at', UTCDateTime(), nullable=False),
    sa.Column('ends_at', UTCDateTime(), nullable=True),
    sa.Column('duration_s', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('location', sa.String(length=500), nullable=True),
    sa.Column('network', sa.String(length=40), nullable=True),
    sa.Column('handle', sa.String(length=200), nullable=True),
    sa.Column('url', sa.String(length=1000), nullable=True),
    sa.Column('social_type', sa.String(length=10), nullable=True),
    sa.Column('company_id', sa.Uuid(), nullable=True),
    sa.Column('deal_id', sa.Uuid(), nullable=True),
    sa.Column('ticket_id', sa.Uuid(), nullable=True),
    sa.Column('message_id', sa.String(length=998), nullable=True),
    sa.Column('in_reply_to', sa.String(length=998), nullable=True),
    sa.Column('thread_key', sa.String(length=255), nullable=True),
    sa.Column('external_source', sa.String(length=80), nullable=True),
    sa.Column('external_id', sa.String(length=500), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.Column('custom_fields', JSON, nullable=False),
    sa.CheckConstraint('duration_s IS NULL OR duration_s >= 0', name=op.f('ck_interactions_duration')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_interactions_company_id_companies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_interactions_deal_id_deals'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_interactions_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interactions')),
    sa.UniqueConstraint('external_source', 'external_id', name=op.f('uq_interactions_external_source_external_id'))
    )
    op.create_index('ix_interactions_channel_occurred', 'interactions', ['channel', 'occurred_at'], unique=False)
    op.create_index(op.f('ix_interactions_company_id'), 'interactions', ['company_id'], unique=False)
    op.create_index(op.f('ix_interactions_created_at'), 'interactions', ['created_at'], unique=False)
    op.create_index(op.f('ix_interactions_deal_id'), 'interactions', ['deal_id'], unique=False)
    op.create_index(op.f('ix_interactions_deleted_at'), 'interactions', ['deleted_at'], unique=False)
    op.create_index(op.f('ix_interactions_message_id'), 'interactions', ['message_id'], unique=False)
    op.create_index('ix_interactions_occurred', 'interactions', ['occurred_at', 'id'], unique=False)
    op.create_index(op.f('ix_interactions_owner_id'), 'interactions', ['owner_id'], unique=False)
    op.create_index(op.f('ix_interactions_thread_key'), 'interactions', ['thread_key'], unique=False)
    op.create_index(op.f('ix_interactions_ticket_id'), 'interactions', ['ticket_id'], unique=False)
    op.create_index(op.f('ix_interactions_updated_at'), 'interactions', ['updated_at'], unique=False)
    op.create_table('interaction_participants',
    sa.Column('interaction_id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=True),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('address', sa.String(length=320), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('occurred_at', UTCDateTime(), nullable=False),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('(contact_id IS NOT NULL) OR (user_id IS NOT NULL) OR (address IS NOT NULL)', name=op.f('ck_interaction_participants_who')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_interaction_participants_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_interaction_participants_interaction_id_interactions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_interaction_participants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interaction_participants')),
    sa.UniqueConstraint('interaction_id', 'contact_id', name=op.f('uq_interaction_participants_interaction_id_contact_id')),
    sa.UniqueConstraint('interaction_id', 'user_id', name=op.f('uq_interaction_participants_interaction_id_user_id'))
    )
    op.create_index('ix_interaction_participants_contact_time', 'interaction_participants', ['contact_id', 'occurred_at', 'interaction_id'], unique=False)
    op.create_index(op.f('ix_interaction_participants_interaction_id'), 'interaction_participants', ['interaction_id'], unique=False)
    op.create_index('ix_interaction_participants_user_time', 'interaction_participants', ['user_id', 'occurred_at'], unique=False)
    op.create_table('notifications',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('entity_type', sa.String(length=40), nullable=True),
    sa.Column('entity_id', sa.Uuid(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=240), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('read_at', UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notifications_dedupe_key'))
    )
    op.create_index('ix_notifications_user_created', 'notifications', ['user_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_notifications_user_unread', 'notifications', ['user_id', 'read_at'], unique=False)
    op.create_table('calendar_feeds',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash')),
    sa.UniqueConstraint('user_id', name=op.f('uq_calendar_feeds_user_id'))
    )
    # plain ADD COLUMN (no table copy on SQLite: the contacts FTS triggers stay as they are)
    op.add_column('contacts', sa.Column('last_activity_at', UTCDateTime(), nullable=True))
    op.add_column('users', sa.Column('time_zone', sa.String(length=64), nullable=False,
                                     server_default='UTC'))
    # Filled from due_at for tasks written before this revision, then required.
    with op.batch_alter_table('tasks') as batch_op:
        batch_op.add_column(sa.Column('due_sort', UTCDateTime(), nullable=True))
    tasks = sa.table('tasks', sa.column('due_at', UTCDateTime()),
                     sa.column('due_sort', UTCDateTime()))
    op.execute(tasks.update().values(due_sort=tasks.c.due_at).where(tasks.c.due_at.is_not(None)))
    op.execute(tasks.update().values(due_sort=datetime(9999, 12, 31, tzinfo=UTC))
               .where(tasks.c.due_sort.is_(None)))
    with op.batch_alter_table('tasks') as batch_op:
        batch_op.alter_column('due_sort', existing_type=UTCDateTime(), nullable=False)
    op.create_index('ix_tasks_due_sort', 'tasks', ['due_sort', 'id'], unique=False)
    op.create_index('ix_tasks_assignee_due_sort', 'tasks', ['assignee_id', 'status', 'due_sort', 'id'], unique=False)
    op.create_index('ix_tasks_contact_created', 'tasks', ['contact_id', 'created_at'], unique=False)
    op.create_index('ix_deals_contact_created', 'deals', ['contact_id', 'created_at'], unique=False)
    op.create_index('ix_deals_contact_closed', 'deals', ['contact_id', 'closed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_deals_contact_closed', table_name='deals')
    op.drop_index('ix_deals_contact_created', table_name='deals')
    op.drop_index('ix_tasks_contact_created', table_name='tasks')
    op.drop_index('ix_tasks_assignee_due_sort', table_name='tasks')
    op.drop_index('ix_tasks_due_sort', table_name='tasks')
    with op.batch_alter_table('tasks') as batch_op:
        batch_op.drop_column('due_sort')
    op.drop_column('users', 'time_zone')
    op.drop_column('contacts', 'last_activity_at')
    op.drop_table('calendar_feeds')
    op.drop_index('ix_notifications_user_unread', table_name='notifications')
    op.drop_index('ix_notifications_user_created', table_name='notifications')
    op.drop_table('notifications')
    op.drop_index('ix_interaction_participants_user_time', table_name='interaction_participants')
    op.drop_index(op.f('ix_interaction_participants_interaction_id'), table_name='interaction_participants')
    op.drop_index('ix_interaction_participants_contact_time', table_name='interaction_participants')
    op.drop_table('interaction_participants')
    op.drop_index(op.f('ix_interactions_updated_at'), table_name='interactions')
    op.drop_index(op.f('ix_interactions_ticket_id'), table_name='interactions')
    op.drop_index(op.f('ix_interactions_thread_key'), table_name='interactions')
    op.drop_index(op.f('ix_interactions_owner_id'), table_name='interactions')
    op.drop_index('ix_interactions_occurred', table_name='interactions')
    op.drop_index(op.f('ix_interactions_message_id'), table_name='interactions')
    op.drop_index(op.f('ix_interactions_deleted_at'), table_name='interactions')
    op.drop_index(op.f('ix_interactions_deal_id'), table_name='interactions')
    op.drop_index(op.f('ix_interactions_created_at'), table_name='interactions')
    op.drop_index(op.f('ix_interactions_company_id'), table_name='interactions')
    op.drop_index('ix_interactions_channel_occurred', table_name='interactions')
    op.drop_table('interactions')
