"""IMAP mailboxes polled into tickets and timelines.

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from amity.core.db import UTCDateTime

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mailboxes',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('port', sa.Integer(), nullable=False),
    sa.Column('security', sa.String(length=10), nullable=False),
    sa.Column('username', sa.String(length=320), nullable=False),
    sa.Column('password', sa.String(length=500), nullable=False),
    sa.Column('folder', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('uid_validity', sa.BigInteger(), nullable=True),
    sa.Column('last_uid', sa.BigInteger(), nullable=False),
    sa.Column('last_polled_at', UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', UTCDateTime(), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('next_poll_at', UTCDateTime(), nullable=True),
    sa.Column('stored_count', sa.BigInteger(), nullable=False),
    sa.Column('skipped_count', sa.BigInteger(), nullable=False),
    sa.Column('quarantined_count', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailboxes'))
    )
    op.create_index(op.f('ix_mailboxes_created_at'), 'mailboxes', ['created_at'], unique=False)
    op.create_index(op.f('ix_mailboxes_deleted_at'), 'mailboxes', ['deleted_at'], unique=False)
    op.create_index(op.f('ix_mailboxes_name'), 'mailboxes', ['name'], unique=False)
    op.create_index(op.f('ix_mailboxes_updated_at'), 'mailboxes', ['updated_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_mailboxes_updated_at'), table_name='mailboxes')
    op.drop_index(op.f('ix_mailboxes_name'), table_name='mailboxes')
    op.drop_index(op.f('ix_mailboxes_deleted_at'), table_name='mailboxes')
    op.drop_index(op.f('ix_mailboxes_created_at'), table_name='mailboxes')
    op.drop_table('mailboxes')
