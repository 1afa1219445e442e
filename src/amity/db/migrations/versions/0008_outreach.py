"""Email templates, sites with public keys, their visitors and web events.

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from amity.core.db import UTCDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('email_templates',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=998), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_templates')),
    sa.UniqueConstraint('name', name=op.f('uq_email_templates_name'))
    )
    op.create_index(op.f('ix_email_templates_created_at'), 'email_templates', ['created_at'], unique=False)
    op.create_index(op.f('ix_email_templates_deleted_at'), 'email_templates', ['deleted_at'], unique=False)
    op.create_index(op.f('ix_email_templates_updated_at'), 'email_templates', ['updated_at'], unique=False)
    op.create_table('web_sites',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('allowed_origins', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('rate_limit_per_minute', sa.Integer(), nullable=False),
    sa.Column('window_start', UTCDateTime(), nullable=True),
    sa.Column('window_count', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sites')),
    sa.UniqueConstraint('public_key', name=op.f('uq_web_sites_public_key'))
    )
    op.create_index(op.f('ix_web_sites_created_at'), 'web_sites', ['created_at'], unique=False)
    op.create_index(op.f('ix_web_sites_deleted_at'), 'web_sites', ['deleted_at'], unique=False)
    op.create_index(op.f('ix_web_sites_updated_at'), 'web_sites', ['updated_at'], unique=False)
    op.create_table('web_events',
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('site_id', sa.Uuid(), nullable=True),
    sa.Column('visitor_key', sa.String(length=64), nullable=True),
    sa.Column('contact_id', sa.Uuid(), nullable=True),
    sa.Column('interaction_id', sa.Uuid(), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=True),
    sa.Column('referrer', sa.String(length=2000), nullable=True),
    sa.Column('occurred_at', UTCDateTime(), nullable=False),
    sa.Column('received_at', UTCDateTime(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_web_events_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['web_sites.id'], name=op.f('fk_web_events_site_id_web_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_events'))
    )
    op.create_index('ix_web_events_contact_occurred', 'web_events', ['contact_id', 'occurred_at'], unique=False)
    op.create_index(op.f('ix_web_events_interaction_id'), 'web_events', ['interaction_id'], unique=False)
    op.create_index('ix_web_events_visitor', 'web_events', ['site_id', 'visitor_key'], unique=False)
    op.create_table('web_visitors',
    sa.Column('site_id', sa.Uuid(), nullable=False),
    sa.Column('visitor_key', sa.String(length=64), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=True),
    sa.Column('first_seen_at', UTCDateTime(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_web_visitors_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['web_sites.id'], name=op.f('fk_web_visitors_site_id_web_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_visitors')),
    sa.UniqueConstraint('site_id', 'visitor_key', name=op.f('uq_web_visitors_site_id_visitor_key'))
    )
    op.create_index(op.f('ix_web_visitors_contact_id'), 'web_visitors', ['contact_id'], unique=False)


def downgrade() -> None:
    op.drop_table('web_visitors')
    op.drop_table('web_events')
    op.drop_table('web_sites')
    op.drop_table('email_templates')
