"""Lead scoring rules, score history and email/task sequences.

Revision ID: 0013
Revises: 0012
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from amity.core.db import UTCDateTime

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scoring_rules',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('behaviour', sa.String(length=20), nullable=True),
    sa.Column('field', sa.String(length=40), nullable=True),
    sa.Column('operator', sa.String(length=16), nullable=True),
    sa.Column('value', sa.String(length=500), nullable=True),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('cap_points', sa.Integer(), nullable=True),
    sa.Column('cap_period_days', sa.Integer(), nullable=True),
    sa.Column('decay', sa.String(length=12), nullable=False),
    sa.Column('decay_days', sa.Integer(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_rules'))
    )
    op.create_index(op.f('ix_scoring_rules_created_at'), 'scoring_rules', ['created_at'], unique=False)
    op.create_index(op.f('ix_scoring_rules_deleted_at'), 'scoring_rules', ['deleted_at'], unique=False)
    op.create_index(op.f('ix_scoring_rules_updated_at'), 'scoring_rules', ['updated_at'], unique=False)
    op.create_table('sequences',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sequences'))
    )
    op.create_index(op.f('ix_sequences_created_at'), 'sequences', ['created_at'], unique=False)
    op.create_index(op.f('ix_sequences_deleted_at'), 'sequences', ['deleted_at'], unique=False)
    op.create_index(op.f('ix_sequences_updated_at'), 'sequences', ['updated_at'], unique=False)
    op.create_table('sequence_steps',
    sa.Column('sequence_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('template_id', sa.Uuid(), nullable=True),
    sa.Column('task_title', sa.String(length=300), nullable=True),
    sa.Column('task_due_days', sa.Integer(), nullable=True),
    sa.Column('wait_hours', sa.Integer(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['sequence_id'], ['sequences.id'], name=op.f('fk_sequence_steps_sequence_id_sequences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_id'], ['email_templates.id'], name=op.f('fk_sequence_steps_template_id_email_templates'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sequence_steps')),
    sa.UniqueConstraint('sequence_id', 'position', name=op.f('uq_sequence_steps_sequence_id_position'))
    )
    op.create_table('scoring_settings',
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('fallback_user_id', sa.Uuid(), nullable=True),
    sa.Column('alert_enabled', sa.Boolean(), nullable=False),
    sa.Column('web_cursor', UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['fallback_user_id'], ['users.id'], name=op.f('fk_scoring_settings_fallback_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_settings'))
    )
    op.create_index(op.f('ix_scoring_settings_created_at'), 'scoring_settings', ['created_at'], unique=False)
    op.create_index(op.f('ix_scoring_settings_updated_at'), 'scoring_settings', ['updated_at'], unique=False)
    op.create_table('contact_scores',
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('behaviour_points', sa.Integer(), nullable=False),
    sa.Column('profile_points', sa.Integer(), nullable=False),
    sa.Column('profile', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('hot', sa.Boolean(), nullable=False),
    sa.Column('crossings', sa.Integer(), nullable=False),
    sa.Column('hot_since', UTCDateTime(), nullable=True),
    sa.Column('computed_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_scores_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', name=op.f('pk_contact_scores'))
    )
    op.create_index(op.f('ix_contact_scores_score'), 'contact_scores', ['score'], unique=False)
    op.create_table('score_entries',
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('rule_id', sa.Uuid(), nullable=True),
    sa.Column('rule_name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('source_type', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.Uuid(), nullable=True),
    sa.Column('source_key', sa.String(length=120), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('capped', sa.Boolean(), nullable=False),
    sa.Column('occurred_at', UTCDateTime(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_score_entries_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['scoring_rules.id'], name=op.f('fk_score_entries_rule_id_scoring_rules'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_entries')),
    sa.UniqueConstraint('contact_id', 'rule_id', 'source_key', name=op.f('uq_score_entries_contact_id_rule_id_source_key'))
    )
    op.create_index('ix_score_entries_contact_occurred', 'score_entries', ['contact_id', 'occurred_at'], unique=False)
    op.create_table('sequence_enrolments',
    sa.Column('sequence_id', sa.Uuid(), nullable=False),
    sa.Column('contact_id', sa.Uuid(), nullable=False),
    sa.Column('active_key', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('current_step', sa.Integer(), nullable=False),
    sa.Column('next_run_at', UTCDateTime(), nullable=True),
    sa.Column('enrolled_at', UTCDateTime(), nullable=False),
    sa.Column('enrolled_by_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('stopped_at', UTCDateTime(), nullable=True),
    sa.Column('stop_reason', sa.String(length=40), nullable=True),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_sequence_enrolments_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enrolled_by_id'], ['users.id'], name=op.f('fk_sequence_enrolments_enrolled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sequence_id'], ['sequences.id'], name=op.f('fk_sequence_enrolments_sequence_id_sequences'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sequence_enrolments')),
    sa.UniqueConstraint('sequence_id', 'active_key', name=op.f('uq_sequence_enrolments_sequence_id_active_key'))
    )
    op.create_index(op.f('ix_sequence_enrolments_contact_id'), 'sequence_enrolments', ['contact_id'], unique=False)
    op.create_index(op.f('ix_sequence_enrolments_created_at'), 'sequence_enrolments', ['created_at'], unique=False)
    op.create_index(op.f('ix_sequence_enrolments_next_run_at'), 'sequence_enrolments', ['next_run_at'], unique=False)
    op.create_index(op.f('ix_sequence_enrolments_sequence_id'), 'sequence_enrolments', ['sequence_id'], unique=False)
    op.create_index(op.f('ix_sequence_enrolments_status'), 'sequence_enrolments', ['status'], unique=False)
    op.create_index(op.f('ix_sequence_enrolments_updated_at'), 'sequence_enrolments', ['updated_at'], unique=False)
    op.create_table('sequence_step_runs',
    sa.Column('enrolment_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.Column('interaction_id', sa.Uuid(), nullable=True),
    sa.Column('task_id', sa.Uuid(), nullable=True),
    sa.Column('ran_at', UTCDateTime(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['sequence_enrolments.id'], name=op.f('fk_sequence_step_runs_enrolment_id_sequence_enrolments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sequence_step_runs')),
    sa.UniqueConstraint('enrolment_id', 'position', name=op.f('uq_sequence_step_runs_enrolment_id_position'))
    )

    op.create_index('ix_web_events_received_at', 'web_events', ['received_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_web_events_received_at', table_name='web_events')
    op.drop_table('sequence_step_runs')
    op.drop_table('sequence_enrolments')
    op.drop_table('score_entries')
    op.drop_table('contact_scores')
    op.drop_table('scoring_settings')
    op.drop_table('sequence_steps')
    op.drop_table('sequences')
    op.drop_table('scoring_rules')
