"""Hosted web-to-lead forms, their submissions, and signed omnichannel ingestion channels.

Revision ID: 0010
Revises: 0009
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from amity.core.db import UTCDateTime

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('forms',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('submit_label', sa.String(length=60), nullable=False),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('consents', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('site_id', sa.Uuid(), nullable=True),
    sa.Column('lifecycle_stage', sa.String(length=20), nullable=True),
    sa.Column('source', sa.String(length=120), nullable=True),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=True),
    sa.Column('success_message', sa.Text(), nullable=True),
    sa.Column('redirect_url', sa.String(length=2000), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('min_fill_seconds', sa.Integer(), nullable=False),
    sa.Column('rate_limit_per_minute', sa.Integer(), nullable=False),
    sa.Column('per_ip_per_hour', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('window_start', UTCDateTime(), nullable=True),
    sa.Column('window_count', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_forms_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_forms_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['web_sites.id'], name=op.f('fk_forms_site_id_web_sites'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_forms')),
    sa.UniqueConstraint('public_key', name=op.f('uq_forms_public_key'))
    )
    op.create_index(op.f('ix_forms_created_at'), 'forms', ['created_at'], unique=False)
    op.create_index(op.f('ix_forms_deleted_at'), 'forms', ['deleted_at'], unique=False)
    op.create_index(op.f('ix_forms_owner_id'), 'forms', ['owner_id'], unique=False)
    op.create_index(op.f('ix_forms_site_id'), 'forms', ['site_id'], unique=False)
    op.create_index(op.f('ix_forms_updated_at'), 'forms', ['updated_at'], unique=False)
    op.create_table('ingest_channels',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('secret', sa.String(length=100), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('create_contacts', sa.Boolean(), nullable=False),
    sa.Column('secret_rotated_at', UTCDateTime(), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_ingest_channels_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingest_channels'))
    )
    op.create_index(op.f('ix_ingest_channels_created_at'), 'ingest_channels', ['created_at'], unique=False)
    op.create_index(op.f('ix_ingest_channels_deleted_at'), 'ingest_channels', ['deleted_at'], unique=False)
    op.create_index(op.f('ix_ingest_channels_updated_at'), 'ingest_channels', ['updated_at'], unique=False)
    op.create_table('form_submissions',
    sa.Column('form_id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.String(length=100), nullable=True),
    sa.Column('contact_id', sa.Uuid(), nullable=True),
    sa.Column('contact_created', sa.Boolean(), nullable=False),
    sa.Column('interaction_id', sa.Uuid(), nullable=True),
    sa.Column('visitor_key', sa.String(length=64), nullable=True),
    sa.Column('values', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('conflicts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('consents', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=500), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_form_submissions_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['form_id'], ['forms.id'], name=op.f('fk_form_submissions_form_id_forms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_form_submissions_interaction_id_interactions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_submissions')),
    sa.UniqueConstraint('form_id', 'client_id', name=op.f('uq_form_submissions_form_id_client_id'))
    )
    op.create_index(op.f('ix_form_submissions_contact_id'), 'form_submissions', ['contact_id'], unique=False)
    op.create_index('ix_form_submissions_form_created', 'form_submissions', ['form_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_form_submissions_form_ip', 'form_submissions', ['form_id', 'ip', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_form_submissions_form_ip', table_name='form_submissions')
    op.drop_index('ix_form_submissions_form_created', table_name='form_submissions')
    op.drop_index(op.f('ix_form_submissions_contact_id'), table_name='form_submissions')
    op.drop_table('form_submissions')
    op.drop_index(op.f('ix_ingest_channels_updated_at'), table_name='ingest_channels')
    op.drop_index(op.f('ix_ingest_channels_deleted_at'), table_name='ingest_channels')
    op.drop_index(op.f('ix_ingest_channels_created_at'), table_name='ingest_channels')
    op.drop_table('ingest_channels')
    op.drop_index(op.f('ix_forms_updated_at'), table_name='forms')
    op.drop_index(op.f('ix_forms_site_id'), table_name='forms')
    op.drop_index(op.f('ix_forms_owner_id'), table_name='forms')
    op.drop_index(op.f('ix_forms_deleted_at'), table_name='forms')
    op.drop_index(op.f('ix_forms_created_at'), table_name='forms')
    op.drop_table('forms')
