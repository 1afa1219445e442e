"""Tickets, comments, attachments, SLA policies, business calendars, surveys.

Also the ticket number counter, SLA warning/breach records, per-contact satisfaction, team
routing for automatic assignment and agent availability.

Revision ID: 0007
Revises: 0006
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from amity.core.db import UTCDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# the queues' partial index: open tickets only (models.OPEN_PREDICATE)
OPEN = "status IN ('new', 'open', 'pending_customer', 'on_hold') AND deleted_at IS NULL"


def upgrade() -> None:
    op.create_table('business_calendars',
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('hours', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('holidays', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_business_calendars')),
    sa.UniqueConstraint('name', name=op.f('uq_business_calendars_name'))
    )
    op.create_index(op.f('ix_business_calendars_created_at'), 'business_calendars', ['created_at'], unique=False)
    op.create_index(op.f('ix_business_calendars_updated_at'), 'business_calendars', ['updated_at'], unique=False)
    op.create_table('ticket_counters',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_ticket_counters'))
    )
    op.create_table('sla_policies',
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('match_tag', sa.String(length=80), nullable=True),
    sa.Column('match_field', sa.String(length=63), nullable=True),
    sa.Column('match_value', sa.String(length=200), nullable=True),
    sa.Column('calendar_id', sa.Uuid(), nullable=True),
    sa.Column('first_response_minutes', sa.Integer(), nullable=False),
    sa.Column('resolution_minutes', sa.Integer(), nullable=False),
    sa.Column('warning_percent', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['business_calendars.id'], name=op.f('fk_sla_policies_calendar_id_business_calendars'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policies')),
    sa.UniqueConstraint('name', name=op.f('uq_sla_policies_name'))
    )
    op.create_index(op.f('ix_sla_policies_calendar_id'), 'sla_policies', ['calendar_id'], unique=False)
    op.create_index(op.f('ix_sla_policies_created_at'), 'sla_policies', ['created_at'], unique=False)
    op.create_index(op.f('ix_sla_policies_priority'), 'sla_policies', ['priority'], unique=False)
    op.create_index(op.f('ix_sla_policies_updated_at'), 'sla_policies', ['updated_at'], unique=False)
    op.create_table('ticket_agents',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('away', sa.Boolean(), nullable=False),
    sa.Column('away_until', UTCDateTime(), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ticket_agents_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_ticket_agents'))
    )
    op.create_table('ticket_routing',
    sa.Column('team_id', sa.Uuid(), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('last_user_id', sa.Uuid(), nullable=True),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['last_user_id'], ['users.id'], name=op.f('fk_ticket_routing_last_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_ticket_routing_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', name=op.f('pk_ticket_routing'))
    )
    op.create_table('contact_satisfaction',
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('score_total', sa.Integer(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_satisfaction_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', name=op.f('pk_contact_satisfaction'))
    )
    op.create_table('tickets',
    sa.Column('number', sa.BigInteger(), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=120), nullable=True),
    sa.Column('contact_id', sa.Uuid(), nullable=True),
    sa.Column('company_id', sa.Uuid(), nullable=True),
    sa.Column('assignee_id', sa.Uuid(), nullable=True),
    sa.Column('team_id', sa.Uuid(), nullable=True),
    sa.Column('order_id', sa.Uuid(), nullable=True),
    sa.Column('product_id', sa.Uuid(), nullable=True),
    sa.Column('resolution_notes', sa.Text(), nullable=True),
    sa.Column('first_responded_at', UTCDateTime(), nullable=True),
    sa.Column('resolved_at', UTCDateTime(), nullable=True),
    sa.Column('closed_at', UTCDateTime(), nullable=True),
    sa.Column('sla_policy_id', sa.Uuid(), nullable=True),
    sa.Column('sla_paused_at', UTCDateTime(), nullable=True),
    sa.Column('sla_paused_seconds', sa.BigInteger(), nullable=False),
    sa.Column('first_response_due_at', UTCDateTime(), nullable=True),
    sa.Column('first_response_warn_at', UTCDateTime(), nullable=True),
    sa.Column('first_response_warned_at', UTCDateTime(), nullable=True),
    sa.Column('first_response_breached_at', UTCDateTime(), nullable=True),
    sa.Column('resolution_due_at', UTCDateTime(), nullable=True),
    sa.Column('resolution_warn_at', UTCDateTime(), nullable=True),
    sa.Column('resolution_warned_at', UTCDateTime(), nullable=True),
    sa.Column('resolution_breached_at', UTCDateTime(), nullable=True),
    sa.Column('sla_due_at', UTCDateTime(), nullable=True),
    sa.Column('sla_warn_at', UTCDateTime(), nullable=True),
    sa.Column('sla_breached_at', UTCDateTime(), nullable=True),
    sa.Column('satisfaction_score', sa.Integer(), nullable=True),
    sa.Column('satisfaction_comment', sa.Text(), nullable=True),
    sa.Column('satisfaction_at', UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.Column('custom_fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_tickets_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_tickets_company_id_companies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_tickets_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_tickets_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_tickets_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_tickets_product_id_products'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sla_policy_id'], ['sla_policies.id'], name=op.f('fk_tickets_sla_policy_id_sla_policies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_tickets_team_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('number', name=op.f('uq_tickets_number'))
    )
    op.create_index('ix_tickets_assignee_status', 'tickets', ['assignee_id', 'status'], unique=False)
    op.create_index(op.f('ix_tickets_category'), 'tickets', ['category'], unique=False)
    op.create_index(op.f('ix_tickets_channel'), 'tickets', ['channel'], unique=False)
    op.create_index(op.f('ix_tickets_company_id'), 'tickets', ['company_id'], unique=False)
    op.create_index('ix_tickets_contact_status', 'tickets', ['contact_id', 'status'], unique=False)
    op.create_index(op.f('ix_tickets_created_at'), 'tickets', ['created_at'], unique=False)
    op.create_index('ix_tickets_created_id', 'tickets', ['created_at', 'id'], unique=False)
    op.create_index(op.f('ix_tickets_deleted_at'), 'tickets', ['deleted_at'], unique=False)
    op.create_index(op.f('ix_tickets_order_id'), 'tickets', ['order_id'], unique=False)
    op.create_index(op.f('ix_tickets_owner_id'), 'tickets', ['owner_id'], unique=False)
    op.create_index(op.f('ix_tickets_priority'), 'tickets', ['priority'], unique=False)
    op.create_index(op.f('ix_tickets_product_id'), 'tickets', ['product_id'], unique=False)
    op.create_index(op.f('ix_tickets_sla_policy_id'), 'tickets', ['sla_policy_id'], unique=False)
    op.create_index('ix_tickets_status_warn', 'tickets', ['status', 'sla_warn_at'], unique=False)
    op.create_index('ix_tickets_open_created', 'tickets', ['created_at', 'id'], unique=False,
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
    op.create_index('ix_tickets_team_status', 'tickets', ['team_id', 'status'], unique=False)
    op.create_index(op.f('ix_tickets_updated_at'), 'tickets', ['updated_at'], unique=False)
    op.create_index('ix_tickets_updated_id', 'tickets', ['updated_at', 'id'], unique=False)
    op.create_table('ticket_comments',
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('author_kind', sa.String(length=10), nullable=False),
    sa.Column('author_id', sa.Uuid(), nullable=True),
    sa.Column('contact_id', sa.Uuid(), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('message_id', sa.String(length=500), nullable=True),
    sa.Column('in_reply_to', sa.String(length=500), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_ticket_comments_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_ticket_comments_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_comments_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_comments'))
    )
    op.create_index(op.f('ix_ticket_comments_contact_id'), 'ticket_comments', ['contact_id'], unique=False)
    op.create_index(op.f('ix_ticket_comments_message_id'), 'ticket_comments', ['message_id'], unique=False)
    op.create_index('ix_ticket_comments_ticket', 'ticket_comments', ['ticket_id', 'created_at', 'id'], unique=False)
    op.create_table('ticket_sla_events',
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('target', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('due_at', UTCDateTime(), nullable=False),
    sa.Column('occurred_at', UTCDateTime(), nullable=False),
    sa.Column('recorded_at', UTCDateTime(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_sla_events_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_sla_events')),
    sa.UniqueConstraint('ticket_id', 'target', 'kind', name=op.f('uq_ticket_sla_events_ticket_id_target_kind'))
    )
    op.create_index(op.f('ix_ticket_sla_events_recorded_at'), 'ticket_sla_events', ['recorded_at'], unique=False)
    op.create_table('ticket_surveys',
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.Column('superseded_at', UTCDateTime(), nullable=True),
    sa.Column('answered_at', UTCDateTime(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_ticket_surveys_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_surveys_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_surveys'))
    )
    op.create_index(op.f('ix_ticket_surveys_contact_id'), 'ticket_surveys', ['contact_id'], unique=False)
    op.create_index(op.f('ix_ticket_surveys_ticket_id'), 'ticket_surveys', ['ticket_id'], unique=False)
    op.create_table('ticket_tags',
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('tag_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tag_id'], ['tags.id'], name=op.f('fk_ticket_tags_tag_id_tags'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_tags_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'tag_id', name=op.f('pk_ticket_tags'))
    )
    op.create_index(op.f('ix_ticket_tags_tag_id'), 'ticket_tags', ['tag_id'], unique=False)
    op.create_table('ticket_attachments',
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('comment_id', sa.Uuid(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['ticket_comments.id'], name=op.f('fk_ticket_attachments_comment_id_ticket_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_attachments_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_ticket_attachments_uploaded_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_attachments'))
    )
    op.create_index(op.f('ix_ticket_attachments_comment_id'), 'ticket_attachments', ['comment_id'], unique=False)
    op.create_index(op.f('ix_ticket_attachments_sha256'), 'ticket_attachments', ['sha256'], unique=False)
    op.create_index(op.f('ix_ticket_attachments_ticket_id'), 'ticket_attachments', ['ticket_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ticket_attachments_ticket_id'), table_name='ticket_attachments')
    op.drop_index(op.f('ix_ticket_attachments_sha256'), table_name='ticket_attachments')
    op.drop_index(op.f('ix_ticket_attachments_comment_id'), table_name='ticket_attachments')
    op.drop_table('ticket_attachments')
    op.drop_index(op.f('ix_ticket_tags_tag_id'), table_name='ticket_tags')
    op.drop_table('ticket_tags')
    op.drop_index(op.f('ix_ticket_surveys_ticket_id'), table_name='ticket_surveys')
    op.drop_index(op.f('ix_ticket_surveys_contact_id'), table_name='ticket_surveys')
    op.drop_table('ticket_surveys')
    op.drop_index(op.f('ix_ticket_sla_events_recorded_at'), table_name='ticket_sla_events')
    op.drop_table('ticket_sla_events')
    op.drop_index('ix_ticket_comments_ticket', table_name='ticket_comments')
    op.drop_index(op.f('ix_ticket_comments_message_id'), table_name='ticket_comments')
    op.drop_index(op.f('ix_ticket_comments_contact_id'), table_name='ticket_comments')
    op.drop_table('ticket_comments')
    op.drop_index('ix_tickets_updated_id', table_name='tickets')
    op.drop_index(op.f('ix_tickets_updated_at'), table_name='tickets')
    op.drop_index('ix_tickets_team_status', table_name='tickets')
    op.drop_index('ix_tickets_status_warn', table_name='tickets')
    op.drop_index('ix_tickets_open_created', table_name='tickets')
    op.drop_index(op.f('ix_tickets_sla_policy_id'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_product_id'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_priority'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_owner_id'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_order_id'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_deleted_at'), table_name='tickets')
    op.drop_index('ix_tickets_created_id', table_name='tickets')
    op.drop_index(op.f('ix_tickets_created_at'), table_name='tickets')
    op.drop_index('ix_tickets_contact_status', table_name='tickets')
    op.drop_index(op.f('ix_tickets_company_id'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_channel'), table_name='tickets')
    op.drop_index(op.f('ix_tickets_category'), table_name='tickets')
    op.drop_index('ix_tickets_assignee_status', table_name='tickets')
    op.drop_table('tickets')
    op.drop_table('contact_satisfaction')
    op.drop_table('ticket_routing')
    op.drop_table('ticket_agents')
    op.drop_index(op.f('ix_sla_policies_updated_at'), table_name='sla_policies')
    op.drop_index(op.f('ix_sla_policies_priority'), table_name='sla_policies')
    op.drop_index(op.f('ix_sla_policies_created_at'), table_name='sla_policies')
    op.drop_index(op.f('ix_sla_policies_calendar_id'), table_name='sla_policies')
    op.drop_table('sla_policies')
    op.drop_table('ticket_counters')
    op.drop_index(op.f('ix_business_calendars_updated_at'), table_name='business_calendars')
    op.drop_index(op.f('ix_business_calendars_created_at'), table_name='business_calendars')
    op.drop_table('business_calendars')
