"""Background jobs: the queue, the effects jobs performed, the scheduler's slots.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:25:31.790266
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from amity.core.db import UTCDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_effects',
    sa.Column('key', sa.String(length=240), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=True),
    sa.Column('done_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_job_effects'))
    )
    op.create_index(op.f('ix_job_effects_done_at'), 'job_effects', ['done_at'], unique=False)
    op.create_table('jobs',
    sa.Column('kind', sa.String(length=160), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('run_at', UTCDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('locked_by', sa.String(length=120), nullable=True),
    sa.Column('lease_until', UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('started_at', UTCDateTime(), nullable=True),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_jobs_idempotency_key'))
    )
    op.create_index('ix_jobs_claim', 'jobs', ['priority', 'run_at'], unique=False, postgresql_where=sa.text("status IN ('queued', 'failed')"), sqlite_where=sa.text("status IN ('queued', 'failed')"))
    op.create_index('ix_jobs_kind_created', 'jobs', ['kind', 'created_at'], unique=False)
    op.create_index('ix_jobs_lease', 'jobs', ['lease_until'], unique=False, postgresql_where=sa.text("status = 'running'"), sqlite_where=sa.text("status = 'running'"))
    op.create_index('ix_jobs_status_created', 'jobs', ['status', 'created_at'], unique=False)
    op.create_table('schedule_runs',
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('slot', UTCDateTime(), nullable=False),
    sa.Column('job_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_runs')),
    sa.UniqueConstraint('name', 'slot', name=op.f('uq_schedule_runs_name_slot'))
    )
    op.create_index(op.f('ix_schedule_runs_slot'), 'schedule_runs', ['slot'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_schedule_runs_slot'), table_name='schedule_runs')
    op.drop_table('schedule_runs')
    op.drop_index('ix_jobs_status_created', table_name='jobs')
    op.drop_index('ix_jobs_lease', table_name='jobs', postgresql_where=sa.text("status = 'running'"), sqlite_where=sa.text("status = 'running'"))
    op.drop_index('ix_jobs_kind_created', table_name='jobs')
    op.drop_index('ix_jobs_claim', table_name='jobs', postgresql_where=sa.text("status IN ('queued', 'failed')"), sqlite_where=sa.text("status IN ('queued', 'failed')"))
    op.drop_table('jobs')
    op.drop_index(op.f('ix_job_effects_done_at'), table_name='job_effects')
    op.drop_table('job_effects')
